# bulle.R: the project's data in R, in an embedded bulle bubble.
#
#   source(system.file(...)) or source("<bulle>/data/R/bulle.R"), then
#   con <- bulle_connect()                     # DBI connection, one view per granted table
#   DBI::dbGetQuery(con, "SELECT count(*) FROM omop_person")
#   bulle_tables()                             # granted tables, columns, source snapshots
#
# Needs the R packages DBI and duckdb. The connection is recorded in the
# audit trail first (by `python -m bulle.data record`, the bubble's own
# Python), exactly as `bulle.data.connect()` is; nothing is opened when the
# hub did not record it. The extract's Parquet files are opened from an
# in-memory DuckDB database (so any version of the duckdb R package reads
# them), then external access is switched off with only those files
# allowed: other files, ATTACH, COPY TO and extensions are refused.

bulle_extract_dir <- function() {
  out <- suppressWarnings(system2("python", c("-m", "bulle.data", "record"), stdout = TRUE, stderr = TRUE))
  status <- attr(out, "status")
  if (!is.null(status) && status != 0) {
    stop(paste(out, collapse = "\n"), call. = FALSE)
  }
  dir <- Sys.getenv("BULLE_DATA_DIR")
  if (!nzchar(dir)) stop("this bubble has no data extract (BULLE_DATA_DIR is not set)", call. = FALSE)
  dir
}

bulle_quote <- function(text) paste0("'", gsub("'", "''", text, fixed = TRUE), "'")

bulle_manifest <- function(con, dir) {
  DBI::dbGetQuery(con, sprintf(
    "SELECT t.name AS name, t.\"table\" AS \"table\", t.file AS file, CAST(t.snapshot_id AS VARCHAR) AS snapshot_id, t.rows AS rows,
            array_to_string(list_transform(t.columns, c -> c.name || ' ' || c.type), ', ') AS columns
       FROM (SELECT unnest(tables) AS t FROM read_json(%s, maximum_object_size = 100000000))",
    bulle_quote(file.path(dir, "manifest.json"))
  ))
}

bulle_connect <- function() {
  dir <- bulle_extract_dir()
  con <- DBI::dbConnect(duckdb::duckdb(), dbdir = ":memory:")
  tables <- bulle_manifest(con, dir)
  files <- file.path(dir, tables$file)
  for (i in seq_len(nrow(tables))) {
    DBI::dbExecute(con, sprintf(
      "CREATE VIEW \"%s\" AS SELECT * FROM read_parquet(%s)", tables$name[i], bulle_quote(files[i])
    ))
  }
  allowed <- paste(vapply(files, bulle_quote, ""), collapse = ", ")
  DBI::dbExecute(con, sprintf("SET allowed_paths = [%s]", allowed))
  DBI::dbExecute(con, "SET enable_external_access = false")
  con
}

bulle_tables <- function() {
  dir <- Sys.getenv("BULLE_DATA_DIR")
  if (!nzchar(dir)) stop("this bubble has no data extract (BULLE_DATA_DIR is not set)", call. = FALSE)
  con <- DBI::dbConnect(duckdb::duckdb(), dbdir = ":memory:")
  on.exit(DBI::dbDisconnect(con, shutdown = TRUE))
  bulle_manifest(con, dir)[, c("name", "table", "columns", "snapshot_id", "rows")]
}
