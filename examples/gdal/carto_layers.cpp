// carto_layers: open a CARTO account with GDAL's CARTO driver, using credentials that
// cartoauth resolved, list its layers and print the features of one.
//
//     carto_layers [layer]          # default: the first layer
//
// Credentials come from cartoauth's standard order (CARTO_BASE_URL / CARTO_API_KEY, a
// CARTOframes cartocreds.json, CARTO_PROFILE, ...), so a GDAL or QGIS plugin needs no settings
// of its own. The key reaches GDAL as an open option inside this process: it never appears on
// a command line, in the environment or in GDAL's process-wide configuration, and is not
// printed.
//
// Build (installed cartoauth and libgdal-dev):
//     c++ -std=c++17 carto_layers.cpp $(pkg-config --cflags --libs cartoauth gdal) -o carto_layers
#include <cartoauth.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

namespace {

struct CredentialsFree {
    void operator()(carto_credentials *c) const { carto_credentials_free(c); }
};
using Credentials = std::unique_ptr<carto_credentials, CredentialsFree>;

// Open options that hold the API key: wiped before GDAL's list is freed.
struct SecretOptions {
    char **list = nullptr;
    SecretOptions() = default;
    SecretOptions(const SecretOptions &) = delete;
    SecretOptions &operator=(const SecretOptions &) = delete;
    ~SecretOptions() {
        for (char **item = list; item != nullptr && *item != nullptr; ++item) {
            std::memset(*item, 0, std::strlen(*item));
        }
        CSLDestroy(list);
    }
};

// A GDAL configuration option set for this thread only, as long as the object lives: the CARTO
// driver reads CARTO_API_URL at every query, not only when the dataset is opened.
class ThreadConfigOption {
  public:
    ThreadConfigOption(const char *key, const std::string &value) : key_(key) {
        CPLSetThreadLocalConfigOption(key_, value.c_str());
    }
    ~ThreadConfigOption() { CPLSetThreadLocalConfigOption(key_, nullptr); }
    ThreadConfigOption(const ThreadConfigOption &) = delete;
    ThreadConfigOption &operator=(const ThreadConfigOption &) = delete;

  private:
    const char *key_;
};

void check(carto_status status, const char *what) {
    if (status != CARTO_OK) {
        throw std::runtime_error(std::string(what) + ": " + carto_last_error());
    }
}

Credentials resolve() {
    carto_credentials *raw = nullptr;
    check(carto_resolve(nullptr, &raw), "resolving CARTO credentials");
    return Credentials(raw);
}

// The SQL API URL of the credentials' base URL (on-premises and local servers included): the
// driver's CARTO_API_URL option. Not secret.
std::string sql_api_url(const carto_credentials *credentials) {
    const char *base_url = nullptr;
    check(carto_credentials_base_url(credentials, &base_url), "base URL");
    return std::string(base_url) + "/api/v2/sql";
}

// Opens "CARTO:<user>" with GDAL's CARTO driver and the credentials' API key (an open option).
// CARTO_API_URL must be set for the calling thread while the dataset is used.
std::unique_ptr<GDALDataset> open_account(const carto_credentials *credentials) {
    const char *username = nullptr, *api_key = nullptr;
    check(carto_credentials_username(credentials, &username), "username");
    check(carto_credentials_api_key(credentials, &api_key), "API key");
    if (username == nullptr) {
        throw std::runtime_error("the credentials have no username (none in the base URL)");
    }
    SecretOptions options;
    options.list = CSLSetNameValue(options.list, "API_KEY", api_key);
    const std::string name = std::string("CARTO:") + username;
    const char *const drivers[] = {"CARTO", nullptr};
    auto *dataset = static_cast<GDALDataset *>(GDALOpenEx(
        name.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, options.list, nullptr));
    if (dataset == nullptr) {
        throw std::runtime_error("GDAL cannot open " + name + ": " + CPLGetLastErrorMsg());
    }
    return std::unique_ptr<GDALDataset>(dataset);
}

void print_features(OGRLayer *layer) {
    std::printf("features of %s (%lld):\n", layer->GetName(),
                static_cast<long long>(layer->GetFeatureCount()));
    OGRFeatureDefn *definition = layer->GetLayerDefn();
    layer->ResetReading();
    for (auto &feature : *layer) {
        std::printf("  #%lld", static_cast<long long>(feature->GetFID()));
        for (int i = 0; i < definition->GetFieldCount(); ++i) {
            if (feature->IsFieldSetAndNotNull(i)) {
                std::printf(" %s=%s", definition->GetFieldDefn(i)->GetNameRef(),
                            feature->GetFieldAsString(i));
            }
        }
        if (const OGRGeometry *geometry = feature->GetGeometryRef()) {
            std::printf(" %s", geometry->exportToWkt().c_str());
        }
        std::printf("\n");
    }
}

}  // namespace

int main(int argc, char **argv) {
    if (argc > 2) {
        std::fprintf(stderr, "usage: %s [layer]\n", argv[0]);
        return 2;
    }
    GDALAllRegister();
    try {
        Credentials credentials = resolve();
        const char *description = nullptr;
        check(carto_credentials_describe(credentials.get(), &description), "describe");
        std::fprintf(stderr, "%s\n", description);  // the key masked

        const ThreadConfigOption api_url("CARTO_API_URL", sql_api_url(credentials.get()));
        std::unique_ptr<GDALDataset> account = open_account(credentials.get());
        credentials.reset();  // wipes cartoauth's copy of the key
        std::printf("layers of %s:\n", account->GetDescription());
        for (OGRLayer *layer : account->GetLayers()) {
            std::printf("  %s (%s)\n", layer->GetName(),
                        OGRGeometryTypeToName(layer->GetGeomType()));
        }
        OGRLayer *layer = argc == 2 ? account->GetLayerByName(argv[1])
                                    : (account->GetLayerCount() > 0 ? account->GetLayer(0) : nullptr);
        if (layer == nullptr) {
            throw std::runtime_error(argc == 2 ? std::string("no layer ") + argv[1]
                                               : std::string("the account has no layers"));
        }
        CPLErrorReset();
        print_features(layer);
        if (CPLGetLastErrorType() >= CE_Failure) {
            throw std::runtime_error(std::string("reading ") + layer->GetName() + ": " +
                                     CPLGetLastErrorMsg());
        }
        return 0;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "carto_layers: %s\n", e.what());
        return 1;
    }
}
