# Credentials files and profiles: round trips in both layouts, the older layouts, update,
# delete, paths and permissions.

test_that("save() writes the cartocreds layout to the default file and reads it back", {
  local_sandbox()
  creds <- carto_credentials(fake_user, fake_key)
  expect_invisible(save_credentials(creds))
  path <- save_credentials(creds)
  expect_identical(path, file.path(carto_config_dir(), "cartocreds.json"))
  expect_identical(credentials_file_path(), path)
  json <- read_json_file(path)
  expect_setequal(names(json), c("APIKEY", "USERNAME", "USERURL"))
  expect_identical(json$USERNAME, fake_user)
  expect_true(identical(json$APIKEY, fake_key))
  expect_identical(file.info(path)$mode, as.octmode("600"))
  loaded <- credentials_from_file()
  expect_true(loaded == creds)
  expect_identical(loaded$source, "file")
  expect_identical(loaded$path, path)
  expect_identical(loaded$origin, path)
  expect_null(loaded$profile)
  expect_identical(loaded$warnings, character())
})

test_that("format = 'cartoframes' writes CARTOframes' creds.json", {
  local_sandbox()
  creds <- carto_credentials(base_url = onprem_base_url, api_key = fake_key)
  path <- save_credentials(creds, format = "cartoframes")
  expect_identical(path, file.path(carto_config_dir(), "creds.json"))
  json <- read_json_file(path)
  expect_identical(names(json), c("username", "api_key", "base_url", "allow_non_secure"))
  expect_identical(json$base_url, onprem_base_url)
  expect_false(json$allow_non_secure)
  loaded <- credentials_from_file()
  expect_true(loaded == creds)
  expect_identical(loaded$path, path)
})

test_that("both layouts round-trip to an explicit path", {
  local_sandbox()
  for (format in c("auto", "cartocreds", "cartoframes")) {
    for (creds in list(
      carto_credentials(fake_user, fake_key),
      carto_credentials(base_url = onprem_base_url, api_key = fake_key),
      carto_credentials(base_url = "http://turtleland.com/user/fake_user",
                        api_key = fake_key, allow_non_secure = TRUE)
    )) {
      path <- file.path(carto_config_dir(), paste0("rt-", format, ".json"))
      expect_identical(save_credentials(creds, path, format = format), path)
      loaded <- credentials_from_file(path)
      expect_true(loaded == creds, label = paste(format, creds$base_url))
      expect_identical(loaded$base_url, creds$base_url)
      expect_identical(loaded$allow_non_secure, creds$allow_non_secure)
    }
  }
  # the last round trip (http) also stored ALLOW_NON_SECURE
  keys <- names(read_json_file(file.path(carto_config_dir(), "rt-auto.json")))
  expect_setequal(keys, c("APIKEY", "USERNAME", "USERURL", "ALLOW_NON_SECURE"))
  keys <- names(read_json_file(file.path(carto_config_dir(), "rt-cartoframes.json")))
  expect_true("api_key" %in% keys)
})

test_that("profiles are saved in CARTOframes' layout by default and listed", {
  local_sandbox()
  expect_identical(carto_profiles(), character())
  creds <- carto_credentials(fake_user, fake_key)
  path <- save_credentials(creds, profile = "work")
  expect_identical(path, file.path(carto_config_dir(), "profiles", "work.json"))
  expect_identical(credentials_file_path(profile = "work"), path)
  expect_true("api_key" %in% names(read_json_file(path)))
  path2 <- save_credentials(carto_credentials("other"), profile = "alpha",
                            format = "cartocreds")
  expect_true("APIKEY" %in% names(read_json_file(path2)))
  expect_identical(carto_profiles(), c("alpha", "work"))
  loaded <- credentials_from_file(profile = "work")
  expect_true(loaded == creds)
  expect_identical(loaded$source, "profile")
  expect_identical(loaded$profile, "work")
  expect_identical(loaded$path, path)
  expect_match(loaded$origin, "profile 'work'", fixed = TRUE)
  e <- catch_condition(credentials_from_file(profile = "nope"))
  expect_s3_class(e, "carto_error_file_not_found")
  expect_match(conditionMessage(e), "alpha, work")
})

test_that("path and profile together are refused", {
  local_sandbox()
  e <- catch_condition(credentials_from_file("x.json", "work"))
  expect_s3_class(e, "carto_error_invalid_argument")
  expect_match(conditionMessage(e), "not both")
  expect_s3_class(catch_condition(save_credentials(carto_credentials(fake_user), "x.json",
                                                   "work")),
                  "carto_error_invalid_argument")
})

test_that("bad format values are refused", {
  local_sandbox()
  creds <- carto_credentials(fake_user)
  e <- catch_condition(save_credentials(creds, format = "yaml"))
  expect_s3_class(e, "carto_error_invalid_argument")
  expect_match(conditionMessage(e), "\"yaml\"")
  expect_s3_class(catch_condition(save_credentials(creds, format = NA_character_)),
                  "carto_error_invalid_argument")
  expect_s3_class(catch_condition(save_credentials("fake_user")),
                  "carto_error_invalid_argument")
  expect_false(file.exists(file.path(carto_config_dir(), "cartocreds.json")))
})

test_that("the older layouts load", {
  local_sandbox()
  expected <- carto_credentials(fake_user, fake_key)
  layouts <- list(
    cartocreds_template = c('{"APIKEY": "fake_api_key", "USERNAME": "fake_user",',
                            ' "USERURL": "https://{username}.carto.com/"}'),
    cartoframes_2019_key = '{"key": "fake_api_key", "username": "fake_user", "base_url": "https://fake_user.carto.com/"}',
    cartoframes_2019 = '{"username": "fake_user", "api_key": "fake_api_key", "base_url": "https://fake_user.carto.com/"}',
    cartoframes_1x = '{"username": "fake_user", "api_key": "fake_api_key", "base_url": "https://fake_user.carto.com", "allow_non_secure": false}',
    username_only = '{"username": "fake_user", "api_key": "fake_api_key"}'
  )
  for (name in names(layouts)) {
    path <- write_private(layouts[[name]], file.path(carto_config_dir(), paste0(name, ".json")))
    loaded <- credentials_from_file(path)
    expect_true(loaded == expected, label = name)
    expect_identical(loaded$base_url, "https://fake_user.carto.com", label = name)
  }
  path <- write_private(
    '{"username": "fake_user", "api_key": "fake_api_key", "base_url": "http://turtleland.com/user/fake_user", "allow_non_secure": true}',
    file.path(carto_config_dir(), "insecure.json"))
  expect_true(credentials_from_file(path)$allow_non_secure)
})

test_that("CARTOframes' creds.json is read when cartocreds.json is absent", {
  local_sandbox()
  write_private('{"username": "from_creds", "api_key": "k1"}',
                file.path(carto_config_dir(), "creds.json"))
  expect_identical(credentials_from_file()$username, "from_creds")
  expect_identical(basename(credentials_file_path()), "creds.json")
  write_private('{"USERNAME": "from_cartocreds", "APIKEY": "k2"}',
                file.path(carto_config_dir(), "cartocreds.json"))
  expect_identical(credentials_from_file()$username, "from_cartocreds")
})

test_that("broken files give syntax and content errors naming the file", {
  local_sandbox()
  path <- write_private(c("{", '  "username": "fake_user",', "  oops"),
                        file.path(carto_config_dir(), "syntax.json"))
  e <- catch_condition(credentials_from_file(path))
  expect_s3_class(e, "carto_error_file_syntax")
  expect_identical(e$status, 302L)
  expect_match(conditionMessage(e), paste0(path, ":3:"), fixed = TRUE)
  path <- write_private('{"foo": 1}', file.path(carto_config_dir(), "content.json"))
  e <- catch_condition(credentials_from_file(path))
  expect_s3_class(e, "carto_error_file_content")
  expect_match(conditionMessage(e), path, fixed = TRUE)
  path <- write_private('{"username": 3}', file.path(carto_config_dir(), "field.json"))
  expect_match(conditionMessage(catch_condition(credentials_from_file(path))),
               "field \"username\"")
  path <- write_private('{"username": "fake_user", "base_url": "http://x.example.com"}',
                        file.path(carto_config_dir(), "insecure.json"))
  expect_s3_class(catch_condition(credentials_from_file(path)),
                  "carto_error_insecure_base_url")
  e <- catch_condition(credentials_from_file(file.path(carto_config_dir(), "missing.json")))
  expect_s3_class(e, "carto_error_file_not_found")
  expect_identical(e$status_name, "CARTO_ERR_FILE_NOT_FOUND")
})

test_that("update changes the given fields and keeps the rest, unknown keys included", {
  local_sandbox()
  path <- write_private(c(
    "{",
    '  "username": "fake_user",',
    '  "comment": "keep me",',
    '  "api_key": "old_key",',
    '  "extra": {"nested": [1, 2]},',
    '  "base_url": "https://fake_user.carto.com"',
    "}"
  ), file.path(carto_config_dir(), "update.json"))
  out <- expect_invisible(update_credentials_file(path, api_key = "new_key"))
  expect_identical(out, path)
  json <- read_json_file(path)
  expect_identical(names(json), c("username", "comment", "api_key", "extra", "base_url"))
  expect_identical(json$comment, "keep me")
  expect_identical(json$extra, list(nested = list(1L, 2L)))
  expect_identical(json$api_key, "new_key")
  expect_identical(json$username, "fake_user")
  expect_true(identical(credentials_from_file(path)$api_key, "new_key"))
  expect_identical(file.info(path)$mode, as.octmode("600"))

  update_credentials_file(path, base_url = "http://turtleland.com/user/fake_user",
                          allow_non_secure = TRUE)
  loaded <- credentials_from_file(path)
  expect_true(loaded$allow_non_secure)
  expect_identical(loaded$base_url, "http://turtleland.com/user/fake_user")
  update_credentials_file(path, username = "fake_user") # allow_non_secure = NULL keeps it
  expect_true(credentials_from_file(path)$allow_non_secure)
  expect_identical(read_json_file(path)$comment, "keep me")
})

test_that("update keeps the cartocreds layout and updates profiles and the default file", {
  local_sandbox()
  save_credentials(carto_credentials(fake_user, "old_key"))
  update_credentials_file(api_key = "new_key")
  json <- read_json_file(file.path(carto_config_dir(), "cartocreds.json"))
  expect_setequal(names(json), c("APIKEY", "USERNAME", "USERURL"))
  expect_identical(json$APIKEY, "new_key")
  save_credentials(carto_credentials(fake_user, "old_key"), profile = "work")
  expect_identical(update_credentials_file(profile = "work", api_key = "new_key"),
                   credentials_file_path(profile = "work"))
  expect_true(identical(credentials_from_file(profile = "work")$api_key, "new_key"))
})

test_that("an update that would give invalid credentials writes nothing", {
  local_sandbox()
  path <- save_credentials(carto_credentials(fake_user, fake_key),
                           file.path(carto_config_dir(), "valid.json"))
  before <- readLines(path)
  expect_s3_class(catch_condition(update_credentials_file(path, username = "bad user!")),
                  "carto_error_invalid_username")
  expect_s3_class(catch_condition(
    update_credentials_file(path, base_url = "http://turtleland.com/user/fake_user")),
    "carto_error_insecure_base_url")
  expect_identical(readLines(path), before)
  expect_s3_class(catch_condition(update_credentials_file(path, allow_non_secure = NA)),
                  "carto_error_invalid_argument")
  expect_s3_class(catch_condition(
    update_credentials_file(file.path(carto_config_dir(), "missing.json"), api_key = "k")),
    "carto_error_file_not_found")
  broken <- write_private("{oops", file.path(carto_config_dir(), "broken.json"))
  expect_s3_class(catch_condition(update_credentials_file(broken, api_key = "k")),
                  "carto_error_file_syntax")
  expect_identical(readLines(broken), "{oops")
})

test_that("delete removes a file and a missing file is a file_not_found condition", {
  local_sandbox()
  path <- save_credentials(carto_credentials(fake_user, fake_key),
                           file.path(carto_config_dir(), "gone.json"))
  expect_invisible(delete_credentials(path))
  expect_false(file.exists(path))
  e <- catch_condition(delete_credentials(path))
  expect_s3_class(e, "carto_error_file_not_found")
  expect_identical(e$status, 300L)
  handled <- tryCatch(delete_credentials(path),
                      carto_error_file_not_found = function(e) "already gone")
  expect_identical(handled, "already gone")
})

test_that("delete handles profiles and both default files", {
  local_sandbox()
  save_credentials(carto_credentials(fake_user), profile = "work")
  delete_credentials(profile = "work")
  expect_identical(carto_profiles(), character())
  expect_s3_class(catch_condition(delete_credentials(profile = "work")),
                  "carto_error_file_not_found")
  save_credentials(carto_credentials(fake_user))
  save_credentials(carto_credentials(fake_user), format = "cartoframes")
  expect_true(all(file.exists(file.path(carto_config_dir(),
                                        c("cartocreds.json", "creds.json")))))
  delete_credentials()
  expect_false(any(file.exists(file.path(carto_config_dir(),
                                         c("cartocreds.json", "creds.json")))))
  expect_s3_class(catch_condition(delete_credentials()), "carto_error_file_not_found")
})

test_that("paths: the config directory, explicit paths and ~", {
  local_sandbox()
  dir <- Sys.getenv("CARTO_CONFIG_DIR")
  expect_identical(carto_config_dir(), dir)
  expect_identical(credentials_file_path(), file.path(dir, "cartocreds.json"))
  expect_identical(credentials_file_path("/somewhere/x.json"), "/somewhere/x.json")
  expect_identical(credentials_file_path("~/x.json"), path.expand("~/x.json"))
  expect_false(file.exists(file.path(dir, "cartocreds.json"))) # nothing created
  expect_s3_class(catch_condition(credentials_file_path(1)), "carto_error_invalid_argument")
})

test_that("a file other users can read loads with a carto_warning", {
  local_sandbox()
  path <- save_credentials(carto_credentials(fake_user, fake_key),
                           file.path(carto_config_dir(), "shared.json"))
  Sys.chmod(path, "644")
  expect_warning(loaded <- credentials_from_file(path), class = "carto_warning")
  expect_length(loaded$warnings, 1L)
  expect_match(loaded$warnings, "mode 0644", fixed = TRUE)
  expect_match(loaded$warnings, path, fixed = TRUE)
  expect_match(paste(capture.output(print(loaded)), collapse = "\n"), "warning: .*0644")
  w <- catch_condition(credentials_from_file(path))
  expect_identical(class(w), c("carto_warning", "warning", "condition"))
  expect_identical(conditionCall(w)[[1L]], as.name("credentials_from_file"))
  expect_warning(set_default_credentials(path), class = "carto_warning")
  expect_warning(set_default_credentials(filepath = path), class = "carto_warning")
  unset_default_credentials()
  set_env(CARTO_CREDENTIALS_FILE = path)
  expect_warning(resolve_credentials(), class = "carto_warning")
  # silenced by the option, still carried by the object
  options(cartoauth.warnings = FALSE)
  expect_silent(loaded <- credentials_from_file(path))
  expect_length(loaded$warnings, 1L)
  # a private file has no warning
  Sys.chmod(path, "600")
  options(cartoauth.warnings = TRUE)
  expect_silent(loaded <- credentials_from_file(path))
  expect_identical(loaded$warnings, character())
})

test_that("paths and values in other encodings reach the library as UTF-8", {
  local_sandbox()
  name <- "caf\xe9.json"
  Encoding(name) <- "latin1"
  path <- file.path(carto_config_dir(), name)
  creds <- carto_credentials(fake_user, "cl\u00e9_\u00fc")
  written <- save_credentials(creds, path)
  expect_identical(Encoding(written), "UTF-8")
  expect_identical(written, enc2utf8(path))
  expect_true(file.exists(file.path(carto_config_dir(), "caf\u00e9.json")))
  loaded <- credentials_from_file(path)
  expect_true(identical(loaded$api_key, "cl\u00e9_\u00fc"))
})
