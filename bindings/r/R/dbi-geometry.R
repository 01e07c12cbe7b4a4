# Geometry columns for DBI: sf (sfc), wk::wkb, wk::wkt (and wk's xy and rct vectors) are
# written as PostGIS geometry with their CRS, and sf::st_read(con, "t") finds the geometry
# columns from the types CARTO reports (registered into sf when it loads, as dbplyr's glue).
#
# SQL type: geometry(<type><Z|M|ZM>,<SRID>) when every geometry has the same type and
# dimensions, geometry(Geometry..., SRID) for mixed types, plain geometry for mixed dimensions.
# The SRID is the CRS's EPSG code (0 without a CRS); a CRS without one is an error, since
# PostGIS knows CRSs by SRID. Values travel in COPY as hex EWKB: wk writes the WKB, and the
# SRID goes into its header (EWKB's SRID flag and the four bytes after the type), so every
# coordinate arrives exactly.

.geometry_classes <- c("sfc", "wk_wkb", "wk_wkt", "wk_xy", "wk_rct")

.is_geometry <- function(x) inherits(x, .geometry_classes)

.need_wk <- function() {
  if (!requireNamespace("wk", quietly = TRUE))
    .abort_invalid_argument("writing geometries needs the wk package, which is not installed")
}

# The SRID of a geometry vector's CRS; `what` names it in errors.
.geometry_srid <- function(x, what) {
  .need_wk()
  crs <- wk::wk_crs(x)
  if (is.null(crs) || (length(crs) == 1L && is.na(crs))) return(0L)
  if (inherits(crs, "crs")) { # sf's
    if (is.na(crs$input) && is.na(crs$wkt)) return(0L)
    epsg <- crs$epsg
  } else if (is.numeric(crs) && length(crs) == 1L) {
    epsg <- crs
  } else if (is.character(crs) && length(crs) == 1L && grepl("^(EPSG|epsg):[0-9]+$", crs)) {
    epsg <- as.integer(sub("^[A-Za-z]+:", "", crs))
  } else if (is.character(crs) && length(crs) == 1L && toupper(crs) %in% c("OGC:CRS84", "CRS84")) {
    epsg <- 4326L # longitude/latitude on WGS 84, PostGIS's axis order for 4326
  } else if (requireNamespace("sf", quietly = TRUE)) {
    epsg <- tryCatch(sf::st_crs(crs)$epsg, error = function(e) NA_integer_)
  } else {
    epsg <- NA_integer_
  }
  if (length(epsg) != 1L || is.na(epsg) || epsg < 0 || epsg != round(epsg))
    .abort_invalid_argument(sprintf(paste(
      "the CRS of %s has no EPSG code, and PostGIS knows a CRS by its SRID (an EPSG code);",
      "give the geometries an EPSG CRS (sf::st_transform(), sf::st_set_crs())"), what))
  as.integer(epsg)
}

# geometry(<type>,<SRID>) for a geometry vector.
.geometry_sql_type <- function(x, what = "a geometry column") {
  srid <- .geometry_srid(x, what)
  meta <- wk::wk_meta(x)
  present <- !is.na(meta$geometry_type)
  types <- unique(meta$geometry_type[present])
  dims <- unique(paste0(ifelse(meta$has_z[present], "Z", ""), ifelse(meta$has_m[present], "M", "")))
  if (length(dims) > 1L) return("geometry") # PostGIS types one set of dimensions per column
  names <- c("Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon",
             "GeometryCollection")
  type <- if (length(types) == 1L && types %in% 1:7) names[[types]] else "Geometry"
  sprintf("geometry(%s%s,%d)", type, if (length(dims)) dims else "", srid)
}

# Hex EWKB with the SRID of the CRS, "" for a missing geometry (NULL in COPY's CSV).
.geometry_csv <- function(x, what = "a geometry column") {
  srid <- .geometry_srid(x, what)
  cells <- unclass(wk::as_wkb(x))
  out <- rep("", length(cells))
  present <- which(!vapply(cells, is.null, TRUE))
  if (!length(present)) return(out)
  lengths <- lengths(cells[present])
  bytes <- unlist(cells[present], use.names = FALSE)
  hex <- paste(as.character(bytes), collapse = "")
  ends <- cumsum(lengths) * 2L
  hex <- substring(hex, ends - lengths * 2L + 1L, ends)
  out[present] <- .ewkb_with_srid(hex, srid)
  out
}

# Hex WKB -> hex EWKB with `srid` (unchanged when it already has the SRID flag, or srid is 0).
# Byte 1 is the byte order (01 little, 00 big endian), bytes 2-5 the type, whose top byte
# gets the SRID flag 0x20; the SRID follows the type in the same byte order.
.ewkb_with_srid <- function(hex, srid) {
  if (srid == 0L) return(hex)
  little <- substr(hex, 1L, 2L) == "01"
  flag_at <- ifelse(little, 9L, 3L) # the type's most significant byte, in hex characters
  flag <- strtoi(substring(hex, flag_at, flag_at + 1L), 16L)
  has_srid <- bitwAnd(flag, 0x20L) != 0L
  srid_bytes <- sprintf("%02x", as.integer(writeBin(srid, raw(), size = 4L, endian = "big")))
  srid_big <- paste(srid_bytes, collapse = "")
  srid_little <- paste(rev(srid_bytes), collapse = "")
  flagged <- sprintf("%02x", bitwOr(flag, 0x20L))
  type <- ifelse(little, paste0(substr(hex, 3L, 8L), flagged),
                 paste0(flagged, substr(hex, 5L, 10L)))
  out <- paste0(substr(hex, 1L, 2L), type, ifelse(little, srid_little, srid_big),
                substring(hex, 11L))
  ifelse(has_srid, hex, out)
}

# ---- sf::st_read(con, "t") and sf::st_read(con, query = "...") ----------------------------

# The geometry columns come from the types the SQL API reports (every geometry or geography
# column of the answer, with its SRID as CRS), so geometry_column = is not needed; given, it
# chooses the active one.
st_read.CartoConnection <- function(dsn = NULL, layer = NULL, query = NULL, EWKB = TRUE,
                                    quiet = TRUE, as_tibble = FALSE, geometry_column = NULL, ...) {
  .no_other_arguments("st_read", ...)
  if (!is.null(layer) && !is.null(query))
    .abort_invalid_argument("give st_read() either 'layer' (a table) or 'query', not both")
  if (is.null(layer) && is.null(query))
    .abort_invalid_argument("give st_read() a 'layer' (a table) or a 'query'")
  sql <- if (!is.null(layer)) paste0("SELECT * FROM ", .table_sql(dsn, layer)) else .single_string(query, "query")
  df <- dbGetQuery(dsn, sql)
  if (!is.null(geometry_column) && !(is.character(geometry_column) && length(geometry_column) == 1L &&
                                     geometry_column %in% names(df) && inherits(df[[geometry_column]], "wk_wkb")))
    .abort_invalid_argument(sprintf("'geometry_column' must name one of the geometry columns (%s)",
                                    paste(names(df)[vapply(df, inherits, TRUE, "wk_wkb")], collapse = ", ")))
  out <- .as_sf(df, geometry_column)
  if (!isTRUE(quiet)) print(out, n = 0)
  if (isTRUE(as_tibble)) {
    if (!requireNamespace("tibble", quietly = TRUE))
      .abort_invalid_argument("as_tibble = TRUE needs the tibble package, which is not installed")
    out <- tibble::new_tibble(out, nrow = nrow(out), class = "sf")
  }
  out
}

# ---- registration when sf loads (sf is only suggested) -------------------------------------
#
# st_read() is an S3 generic: st_read.CartoConnection is registered into sf, as dbplyr's glue
# is into dbplyr. dbWriteTable() and dbDataType() are S4: sf's class "sf" extends only
# "oldClass" (not "data.frame"), so our data.frame methods do not apply to sf objects, and
# sf's own methods for c("DBIObject", "character", "sf") would write geometries as untyped
# EWKB text. Methods for "sf" on a CartoConnection are the closer match on every argument,
# but the class exists only once sf is loaded, and library(cartoauth) must not load sf; so
# they are defined then, into an environment of this package (as a script defines methods
# into the global environment): dispatch finds them, and they are never in the namespace.
.sf_methods <- new.env()

.register_sf <- function() {
  register <- function(...) {
    if (!requireNamespace("sf", quietly = TRUE)) return(invisible(NULL))
    registerS3method("st_read", "CartoConnection", st_read.CartoConnection,
                     envir = asNamespace("sf"))
    write <- methods::getMethod("dbWriteTable", c("CartoConnection", "character", "data.frame"))
    methods::setMethod("dbWriteTable", c("CartoConnection", "character", "sf"), write,
                       where = .sf_methods)
    methods::setMethod("dbWriteTable", c("CartoConnection", "Id", "sf"), write,
                       where = .sf_methods)
    methods::setMethod("dbDataType", c("CartoConnection", "sf"),
                       function(dbObj, obj, ...) .sql_type(obj), where = .sf_methods)
    invisible(NULL)
  }
  if (isNamespaceLoaded("sf")) register()
  setHook(packageEvent("sf", "onLoad"), register)
}
