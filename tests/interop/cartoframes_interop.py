"""Files written by Python CARTOframes 1.2.4 load in cartoauth, and files cartoauth writes in
CARTOframes format load in CARTOframes, including through both libraries' default paths.

cartoauth is called through its C ABI with ctypes. Run by tests/interop/run.sh, which makes a
venv with cartoframes==1.2.4. Prints "cartoframes-interop: N passed, N failed".
"""
import ctypes
import json
import os
import sys
import tempfile

LIB = os.environ["CARTOAUTH_LIB"]
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAILED: {what}", file=sys.stderr)


lib = ctypes.CDLL(LIB)
P = ctypes.c_void_p
lib.carto_credentials_load.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(P)]
lib.carto_credentials_new.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_bool, ctypes.POINTER(P)]
lib.carto_credentials_save.argtypes = [P, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int32,
                                       ctypes.POINTER(ctypes.c_void_p)]
lib.carto_resolve.argtypes = [P, ctypes.POINTER(P)]
for name in ("username", "api_key", "base_url", "origin_path"):
    getattr(lib, f"carto_credentials_{name}").argtypes = [P, ctypes.POINTER(ctypes.c_char_p)]
lib.carto_credentials_free.argtypes = [P]
lib.carto_string_free.argtypes = [ctypes.c_void_p]
lib.carto_last_error.restype = ctypes.c_char_p
CARTOFRAMES_FORMAT = 2


def call(status, what):
    check(status == 0, f"{what}: status {status}: {lib.carto_last_error().decode()}")
    return status == 0


def fields(handle):
    out = {}
    for name in ("username", "api_key", "base_url", "origin_path"):
        value = ctypes.c_char_p()
        call(getattr(lib, f"carto_credentials_{name}")(handle, ctypes.byref(value)), name)
        out[name] = value.value.decode() if value.value is not None else None
    return out


def load(path):
    handle = P()
    if not call(lib.carto_credentials_load(path.encode(), None, ctypes.byref(handle)), f"load {path}"):
        return None
    try:
        return fields(handle)
    finally:
        lib.carto_credentials_free(handle)


def save(username, key, base_url, path):
    handle, written = P(), ctypes.c_void_p()
    call(lib.carto_credentials_new(username and username.encode(), key.encode(),
                                   base_url and base_url.encode(), False, ctypes.byref(handle)),
         "new")
    call(lib.carto_credentials_save(handle, path and path.encode(), None, CARTOFRAMES_FORMAT,
                                    ctypes.byref(written)), "save")
    result = ctypes.cast(written, ctypes.c_char_p).value.decode()
    lib.carto_string_free(written)
    lib.carto_credentials_free(handle)
    return result


with tempfile.TemporaryDirectory() as home:
    # Both libraries must agree on the default directory: appdirs' user_config_dir.
    os.environ["HOME"] = home
    os.environ.pop("XDG_CONFIG_HOME", None)
    for var in ("CARTO_CONFIG_DIR", "CARTO_USERNAME", "CARTO_BASE_URL", "CARTO_API_KEY",
                "CARTO_PROFILE", "CARTO_CREDENTIALS_FILE"):
        os.environ.pop(var, None)
    from cartoframes.auth import Credentials
    from cartoframes.utils.utils import default_config_path

    # 1. CARTOframes saves to an explicit path; cartoauth loads it.
    path = os.path.join(home, "explicit.json")
    Credentials("fake_user", "fake_api_key").save(path)
    got = load(path)
    check(got and got["username"] == "fake_user", f"username from CARTOframes file: {got}")
    check(got and got["api_key"] == "fake_api_key", "api key from CARTOframes file")
    check(got and got["base_url"] == "https://fake_user.carto.com", "base_url from CARTOframes file")

    # 2. An on-premises file, too.
    onprem = os.path.join(home, "onprem.json")
    Credentials(username="fake_user", api_key="k2", base_url="https://turtleland.com/user/fake_user/").save(onprem)
    got = load(onprem)
    check(got and got["base_url"] == "https://turtleland.com/user/fake_user", f"on-prem base_url: {got}")

    # 3. cartoauth saves in CARTOframes format; CARTOframes loads it.
    ours = save("jane", "jane-key-0123456789", None, os.path.join(home, "ours.json"))
    theirs = Credentials.from_file(ours)
    check(theirs.username == "jane" and theirs.api_key == "jane-key-0123456789"
          and theirs.base_url == "https://jane.carto.com", f"CARTOframes reads ours: {theirs}")
    check(theirs == Credentials("jane", "jane-key-0123456789"), "CARTOframes equality")

    # 4. CARTOframes' default save (creds.json in its config dir) is resolved by cartoauth with
    #    no configuration at all.
    Credentials("default_user", "default-key").save()
    check(os.path.exists(default_config_path("creds.json")), "CARTOframes wrote its default file")
    handle = P()
    if call(lib.carto_resolve(None, ctypes.byref(handle)), "resolve with no configuration"):
        got = fields(handle)
        lib.carto_credentials_free(handle)
        check(got["username"] == "default_user" and got["api_key"] == "default-key",
              f"resolved CARTOframes' default file: {got}")
        check(got["origin_path"] == default_config_path("creds.json"),
              f"same default path: {got['origin_path']} vs {default_config_path('creds.json')}")

    # 5. cartoauth's default save in CARTOframes format is CARTOframes' default file.
    written = save("round", "round-key", None, None)
    check(written == default_config_path("creds.json"), f"default path {written}")
    check(Credentials.from_file().username == "round", "CARTOframes' from_file() reads ours")
    with open(written) as f:
        doc = json.load(f)
    check(list(doc) == ["username", "api_key", "base_url", "allow_non_secure"], f"keys {list(doc)}")
    check(oct(os.stat(written).st_mode & 0o777) == "0o600", "0600")

print(f"cartoframes-interop: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
