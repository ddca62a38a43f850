"""Status history written as periods, replayed from the record, and rolled up per day."""
