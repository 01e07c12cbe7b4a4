# Geometries through DBI (R/dbi-geometry.R): sf, wk::wkb and wk::wkt columns are written as
# PostGIS geometry with their CRS as SRID, exactly, and sf::st_read() finds them again.

emu_con <- function() DBI::dbConnect(carto(), credentials = emu_creds(), retries = 0L)

# The PostGIS type of a column and the EWKT of its rows.
column_type <- function(con, table, column) {
  DBI::dbGetQuery(con, sprintf(
    "select format_type(atttypid, atttypmod) as t from pg_attribute where attrelid = '%s'::regclass and attname = '%s'",
    table, column))$t
}
ewkt <- function(con, table, column, order = "1") {
  DBI::dbGetQuery(con, sprintf("select ST_AsEWKT(%s) as w from %s order by %s", column, table, order))$w
}

test_that("sf objects are written as typed PostGIS geometry and read back with st_read()", {
  skip_if_not_installed("sf")
  local_sandbox()
  con <- emu_con()
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  on.exit(for (t in c("geo_sf", "geo_sf2", "geo_sf3"))
    DBI::dbRemoveTable(con, t, fail_if_missing = FALSE), add = TRUE, after = FALSE)
  x <- sf::st_sf(name = c("a", "b"),
                 geom = sf::st_sfc(sf::st_point(c(1.123456789012345, -2.5e-10)),
                                   sf::st_point(c(3, 4)), crs = 4326))
  expect_identical(DBI::dbDataType(con, x$geom), "geometry(Point,4326)")
  expect_identical(DBI::dbDataType(con, x), c(name = "TEXT", geom = "geometry(Point,4326)"))
  DBI::dbWriteTable(con, "geo_sf", x)
  expect_identical(column_type(con, "geo_sf", "geom"), "geometry(Point,4326)")
  # every digit arrives (EWKB, not text)
  exact <- DBI::dbGetQuery(con, paste("select ST_X(geom) = 1.123456789012345 and ST_Y(geom) = -2.5e-10",
                                      "as exact from geo_sf where name = 'a'"))$exact
  expect_true(exact)
  back <- sf::st_read(con, "geo_sf")
  expect_s3_class(back, "sf")
  expect_identical(attr(back, "sf_column"), "geom")
  expect_identical(sf::st_crs(back)$epsg, 4326L)
  expect_identical(sf::st_coordinates(back[order(back$name), ]), sf::st_coordinates(x))
  # st_write(), and st_read() of a query
  sf::st_write(x, con, "geo_sf2", quiet = TRUE)
  expect_identical(column_type(con, "geo_sf2", "geom"), "geometry(Point,4326)")
  q <- sf::st_read(con, query = "select name, geom as g1, ST_Buffer(geom, 1) as g2 from geo_sf2 order by name")
  expect_identical(attr(q, "sf_column"), "g1")
  expect_s3_class(q$g2, "sfc_POLYGON")
  expect_identical(attr(sf::st_read(con, query = "select geom as g1, geom as g2 from geo_sf2",
                                    geometry_column = "g2"), "sf_column"), "g2")
  # appending, and overwrite
  DBI::dbAppendTable(con, "geo_sf", x)
  expect_identical(DBI::dbGetQuery(con, "select count(*)::int4 as n from geo_sf")$n, 4L)
  DBI::dbWriteTable(con, "geo_sf", x[1, ], overwrite = TRUE)
  expect_identical(ewkt(con, "geo_sf", "geom"), "SRID=4326;POINT(1.123456789012345 -2.5e-10)")
  # a projected CRS, polygons, an sfc column in a plain data frame
  poly <- data.frame(id = 1L)
  poly$shape <- sf::st_sfc(sf::st_polygon(list(rbind(c(0, 0), c(10, 0), c(10, 10), c(0, 0)))), crs = 32630)
  DBI::dbWriteTable(con, "geo_sf3", poly)
  expect_identical(column_type(con, "geo_sf3", "shape"), "geometry(Polygon,32630)")
  expect_identical(sf::st_crs(sf::st_read(con, "geo_sf3"))$epsg, 32630L)
})

test_that("wk::wkb from carto_sql() and wk::wkt columns are written back with their CRS", {
  local_sandbox()
  con <- emu_con()
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  on.exit(for (t in c("geo_wkb", "geo_wkt", "geo_mixed", "geo_nocrs"))
    DBI::dbRemoveTable(con, t, fail_if_missing = FALSE), add = TRUE, after = FALSE)
  w <- carto_sql("select cartodb_id, name, the_geom from points_public order by cartodb_id",
                 credentials = emu_creds())
  expect_s3_class(w$the_geom, "wk_wkb")
  DBI::dbWriteTable(con, "geo_wkb", w)
  expect_identical(column_type(con, "geo_wkb", "the_geom"), "geometry(Point,4326)")
  expect_identical(ewkt(con, "geo_wkb", "the_geom", "cartodb_id"),
                   ewkt(con, "points_public", "the_geom", "cartodb_id"))
  wt <- data.frame(id = 1:2, g = wk::wkt(c("LINESTRING Z (1 2 3, 4 5 6)", NA), crs = "EPSG:3857"))
  DBI::dbWriteTable(con, "geo_wkt", wt)
  expect_identical(column_type(con, "geo_wkt", "g"), "geometry(LineStringZ,3857)")
  expect_identical(ewkt(con, "geo_wkt", "g", "id"), c("SRID=3857;LINESTRING(1 2 3,4 5 6)", NA))
  # mixed types: Geometry; mixed dimensions: plain geometry (each value keeps its SRID)
  mixed <- data.frame(id = 1:3, g = wk::wkt(c("POINT (1 2)", "LINESTRING (0 0, 1 1)", "POINT Z (1 2 3)"),
                                            crs = "EPSG:4326"))
  expect_identical(DBI::dbDataType(con, mixed$g[1:2]), "geometry(Geometry,4326)")
  DBI::dbWriteTable(con, "geo_mixed", mixed)
  expect_identical(column_type(con, "geo_mixed", "g"), "geometry")
  expect_identical(ewkt(con, "geo_mixed", "g", "id")[[3L]], "SRID=4326;POINT(1 2 3)")
  # no CRS: SRID 0
  DBI::dbWriteTable(con, "geo_nocrs", data.frame(g = wk::wkt("POINT (5 6)")))
  expect_identical(column_type(con, "geo_nocrs", "g"), "geometry(Point)")
  expect_identical(ewkt(con, "geo_nocrs", "g"), "POINT(5 6)")
})

test_that("a CRS without an EPSG code is a clear error, and no table is left", {
  skip_if_not_installed("sf")
  local_sandbox()
  con <- emu_con()
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  x <- sf::st_sf(a = 1, geometry = sf::st_sfc(sf::st_point(c(1, 2)),
                                              crs = sf::st_crs("+proj=laea +lat_0=10 +lon_0=5")))
  e <- catch_condition(DBI::dbWriteTable(con, "geo_no_epsg", x))
  expect_s3_class(e, "carto_error_invalid_argument")
  expect_match(conditionMessage(e), "'geometry'", fixed = TRUE)
  expect_match(conditionMessage(e), "EPSG", fixed = TRUE)
  expect_false(DBI::dbExistsTable(con, "geo_no_epsg"))
})

test_that("the SRID goes into the WKB header in either byte order", {
  local_sandbox()
  con <- emu_con()
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  little <- "0101000000000000000000f03f0000000000000040" # POINT (1 2)
  big <- "00000000013ff00000000000004000000000000000"
  with_srid <- cartoauth:::.ewkb_with_srid(c(little, big), 3857L)
  expect_identical(with_srid[[1L]], "0101000020110f0000000000000000f03f0000000000000040")
  got <- DBI::dbGetQuery(con, paste0("select ST_AsEWKT('", with_srid, "'::geometry) as w", collapse = " union all "))
  expect_identical(got$w, rep("SRID=3857;POINT(1 2)", 2L))
  expect_identical(cartoauth:::.ewkb_with_srid(with_srid, 3857L), with_srid) # already there
  expect_identical(cartoauth:::.ewkb_with_srid(little, 0L), little)
})
