"""Old addresses keep working: WordPress permalinks lead to the rows they were imported as."""
