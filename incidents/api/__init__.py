"""The JSON APIs: the public read API in Atlassian Statuspage's v2 shape and the staff API."""
