# Builds libcartoauth with cargo and installs it as a C library: the shared library with its
# versioned SONAME and links, the static library, the header, a pkg-config file and a CMake
# package. GNU conventions: PREFIX, DESTDIR (staged installs), LIBDIR, INCLUDEDIR.
#
#   make                                   # cargo build --release (the libraries)
#   make install PREFIX=/usr/local         # or PREFIX=$HOME/.local, LIBDIR=/usr/lib/x86_64-linux-gnu
#   make install-strip PREFIX=/usr/local   # the same, shared library stripped of its symbol table
#   make uninstall PREFIX=/usr/local       # removes exactly the files install wrote
#
# A Makefile rather than cargo-c's `cargo cinstall`: Debian's cargo-c cannot read this lock
# file (v4) and edition, and building a recent one from crates.io takes minutes and ~1 GB.

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
CMAKEDIR ?= $(LIBDIR)/cmake/cartoauth
DESTDIR ?=

CARGO ?= cargo
INSTALL ?= install
STRIP ?= strip
CARGO_TARGET_DIR ?= target
CARGOFLAGS ?=

# The header (itself generated from Cargo.toml and src/ffi/library.rs) is the one source of
# the version numbers.
HEADER := include/cartoauth.h
header_define = $(shell sed -n 's/^\#define $(1) "*\([^"]*\)"*$$/\1/p' $(HEADER))
VERSION := $(call header_define,CARTO_VERSION)
VERSION_MAJOR := $(call header_define,CARTO_VERSION_MAJOR)
VERSION_MINOR := $(call header_define,CARTO_VERSION_MINOR)
ABI := $(call header_define,CARTO_ABI_VERSION)

BUILD_DIR := $(CARGO_TARGET_DIR)/release
GEN_DIR := $(BUILD_DIR)/install-files
NATIVE_LIBS_FILE := $(BUILD_DIR)/native-static-libs.txt

ifeq ($(shell uname -s),Darwin)
  SHARED_BUILT := libcartoauth.dylib
  SHARED_REAL := libcartoauth.$(ABI).dylib
  SONAME := $(SHARED_REAL)
  SHARED_LINKS := libcartoauth.dylib
else
  SHARED_BUILT := libcartoauth.so
  SHARED_REAL := libcartoauth.so.$(VERSION)
  SONAME := libcartoauth.so.$(ABI)
  SHARED_LINKS := $(SONAME) libcartoauth.so
endif

# Paths written into the pkg-config file relative to ${prefix} when they are under PREFIX.
pc_path = $(patsubst $(PREFIX)/%,$${prefix}/%,$(patsubst $(PREFIX),$${prefix},$(1)))
# The CMake package finds the libraries and header relative to its own directory.
relative_to_cmakedir = $(shell realpath -m --relative-to=$(CMAKEDIR) $(1))

SHELL := bash
.SHELLFLAGS := -o pipefail -ec
.PHONY: all build install-files install install-strip uninstall
all: build

# `cargo rustc` builds the same artifacts as `cargo build` (cdylib, staticlib, rlib) and also
# prints the system libraries the static library needs; cargo replays that note when nothing
# changed, so the list is always the current toolchain's, never a hand-kept one.
build:
	@test -n "$(VERSION)" -a -n "$(ABI)" || { echo "cannot read the versions from $(HEADER)" >&2; exit 1; }
	@mkdir -p $(BUILD_DIR)
	$(CARGO) rustc --release --lib -p cartoauth $(CARGOFLAGS) -- --print native-static-libs 2>&1 | tee $(BUILD_DIR)/rustc-output.txt
	@sed -n 's/.*native-static-libs: *//p' $(BUILD_DIR)/rustc-output.txt | tail -n 1 > $(NATIVE_LIBS_FILE)
	@test -s $(NATIVE_LIBS_FILE) || { echo "rustc printed no native-static-libs" >&2; exit 1; }

install-files: build
	@mkdir -p $(GEN_DIR)
	@libs="$$(cat $(NATIVE_LIBS_FILE))"; \
	cmake_libs="$$(echo $$libs | sed 's/^-l//; s/ -l/;/g')"; \
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(call pc_path,$(LIBDIR))|' \
	    -e 's|@INCLUDEDIR@|$(call pc_path,$(INCLUDEDIR))|' -e 's|@VERSION@|$(VERSION)|' \
	    -e "s|@NATIVE_STATIC_LIBS@|$$libs|" packaging/cartoauth.pc.in > $(GEN_DIR)/cartoauth.pc; \
	sed -e 's|@CMAKE_TO_LIBDIR@|$(call relative_to_cmakedir,$(LIBDIR))|' \
	    -e 's|@CMAKE_TO_INCLUDEDIR@|$(call relative_to_cmakedir,$(INCLUDEDIR))|' \
	    -e 's|@VERSION@|$(VERSION)|' -e 's|@ABI@|$(ABI)|' -e 's|@SHARED_REAL@|$(SHARED_REAL)|' \
	    -e 's|@SONAME@|$(SONAME)|' -e "s|@NATIVE_STATIC_LIBS_CMAKE@|$$cmake_libs|" \
	    packaging/cartoauthConfig.cmake.in > $(GEN_DIR)/cartoauthConfig.cmake
	@sed -e 's|@VERSION@|$(VERSION)|' -e 's|@VERSION_MAJOR@|$(VERSION_MAJOR)|' \
	    -e 's|@VERSION_MINOR@|$(VERSION_MINOR)|' -e "s|@SIZEOF_VOID_P@|$$(( $$(getconf LONG_BIT) / 8 ))|" \
	    packaging/cartoauthConfigVersion.cmake.in > $(GEN_DIR)/cartoauthConfigVersion.cmake

install: install-files
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(CMAKEDIR)
	$(INSTALL) -m 0755 $(BUILD_DIR)/$(SHARED_BUILT) $(DESTDIR)$(LIBDIR)/$(SHARED_REAL)
	@set -e; target=$(SHARED_REAL); for link in $(SHARED_LINKS); do \
	  echo "ln -sfn $$target $(DESTDIR)$(LIBDIR)/$$link"; ln -sfn $$target $(DESTDIR)$(LIBDIR)/$$link; target=$$link; \
	done
	$(INSTALL) -m 0644 $(BUILD_DIR)/libcartoauth.a $(DESTDIR)$(LIBDIR)/libcartoauth.a
	$(INSTALL) -m 0644 $(HEADER) $(DESTDIR)$(INCLUDEDIR)/cartoauth.h
	$(INSTALL) -m 0644 $(GEN_DIR)/cartoauth.pc $(DESTDIR)$(PKGCONFIGDIR)/cartoauth.pc
	$(INSTALL) -m 0644 $(GEN_DIR)/cartoauthConfig.cmake $(GEN_DIR)/cartoauthConfigVersion.cmake $(DESTDIR)$(CMAKEDIR)/

# Distribution packagers strip themselves (dh_strip keeps the symbols in -dbgsym packages).
install-strip: install
	$(STRIP) --strip-unneeded $(DESTDIR)$(LIBDIR)/$(SHARED_REAL)

uninstall:
	rm -f $(addprefix $(DESTDIR)$(LIBDIR)/,$(SHARED_REAL) $(SHARED_LINKS) libcartoauth.a)
	rm -f $(DESTDIR)$(INCLUDEDIR)/cartoauth.h $(DESTDIR)$(PKGCONFIGDIR)/cartoauth.pc
	rm -f $(DESTDIR)$(CMAKEDIR)/cartoauthConfig.cmake $(DESTDIR)$(CMAKEDIR)/cartoauthConfigVersion.cmake
	rmdir $(DESTDIR)$(CMAKEDIR) 2>/dev/null || true
