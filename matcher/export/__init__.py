"""Files staff keep: spreadsheets (CSV / XLSX, formula-safe) of batch runs, pairings, plans and the map."""
