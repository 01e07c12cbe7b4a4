// The header compiles as C++ (extern "C" guard) and can be included twice (include guard).
#include "cartoauth.h"
#include "cartoauth.h"

#include <cstdio>

int main() {
    carto_credentials *c = nullptr;
    carto_status st = carto_credentials_new("cpp", nullptr, nullptr, false, &c);
    const char *desc = nullptr;
    if (st == CARTO_OK) {
        st = carto_credentials_describe(c, &desc);
    }
    std::printf("c++-header: %d passed, %d failed\n", st == CARTO_OK ? 1 : 0, st == CARTO_OK ? 0 : 1);
    carto_credentials_free(c);
    return st == CARTO_OK ? 0 : 1;
}
