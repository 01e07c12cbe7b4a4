// C++17 consumer of the installed cartoauth (CMake: find_package + cartoauth::cartoauth).
//
//     app <expected username>
//
// Owns every handle through std::unique_ptr, asks api/v3/me who the key from the environment
// belongs to and reads a row through the SQL API; exits 0 only when both are as expected.
#include <cartoauth.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

struct ClientFree {
    void operator()(carto_client *c) const { carto_client_free(c); }
};
struct ResponseFree {
    void operator()(carto_response *r) const { carto_response_free(r); }
};
struct StringFree {
    void operator()(char *s) const { carto_string_free(s); }
};

void check(carto_status status, const char *what) {
    if (status != CARTO_OK) {
        throw std::runtime_error(std::string(what) + ": " + carto_status_name(status) + ": " +
                                 carto_last_error());
    }
}

std::string run(std::string_view expected_user) {
    carto_client *raw_client = nullptr;
    check(carto_client_new(nullptr, nullptr, &raw_client), "client");
    std::unique_ptr<carto_client, ClientFree> client(raw_client);

    char *raw_username = nullptr;
    check(carto_client_me(client.get(), &raw_username, nullptr), "api/v3/me");
    std::unique_ptr<char, StringFree> username(raw_username);
    if (!username || expected_user != username.get()) {
        throw std::runtime_error("api/v3/me named another user");
    }

    carto_response *raw_response = nullptr;
    carto_status status = carto_client_sql(
        client.get(), "select name from points_public order by cartodb_id limit 1", "csv",
        &raw_response);
    std::unique_ptr<carto_response, ResponseFree> response(raw_response);
    check(status, "SQL API");
    check(carto_response_check(response.get()), "SQL API");
    const uint8_t *body = nullptr;
    size_t length = 0;
    check(carto_response_body(response.get(), &body, &length), "body");
    std::string csv(reinterpret_cast<const char *>(body), length);
    if (csv.rfind("name\r\n", 0) != 0 && csv.rfind("name\n", 0) != 0) {
        throw std::runtime_error("unexpected CSV: " + csv);
    }
    return std::string(username.get()) + ": " + csv.substr(csv.find('\n') + 1);
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <expected username>\n", argv[0]);
        return 2;
    }
    try {
        std::printf("%s", run(argv[1]).c_str());
        std::printf("cmake consumer: ok (cartoauth %s)\n", carto_version());
        return 0;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "cmake consumer: %s\n", e.what());
        return 1;
    }
}
