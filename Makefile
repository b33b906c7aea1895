PREFIX ?= /usr/local
DESTDIR ?=
# The binary `install` copies; `make install-files BIN=.build/debug/supervise` installs a debug build.
BIN ?= .build/release/supervise
# Admin-owned unit directory, so `systemctl edit supervise` drop-ins sit next to it.
UNITDIR ?= /etc/systemd/system
CONFDIR ?= /etc/supervise
DOCDIR ?= $(PREFIX)/share/doc/supervise

.PHONY: build install install-files deb demo test bench

# Release build with the Swift runtime and Foundation linked statically: the binary runs on a host without
# the Swift toolchain (`ldd` names no Swift library).
build:
	. scripts/env.sh && swift build -c release --static-swift-stdlib --product supervise

# The Debian package: .build/deb/supervise_VERSION_ARCH.deb (scripts/build-deb.sh; lintian checks it when installed).
deb:
	scripts/build-deb.sh

# For development: a package (`make deb`, then `apt-get install ./.build/deb/supervise_*.deb`) is how hosts install it.
install: build install-files
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
	@echo "installed; start with: systemctl enable --now supervise"

# Binary, unit, default config (never overwritten: it is the operator's), docs. The drop-ins for
# PostgreSQL, Redis and nginx go with the docs as examples: none is active until an operator
# copies it to $(UNITDIR)/supervise.service.d/.
install-files:
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/supervise
	install -D -m 0644 units/supervise.service $(DESTDIR)$(UNITDIR)/supervise.service
	test -e $(DESTDIR)$(CONFDIR)/supervise.yaml || install -D -m 0644 units/supervise.yaml $(DESTDIR)$(CONFDIR)/supervise.yaml
	install -D -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	for f in docs/*.md; do install -D -m 0644 "$$f" "$(DESTDIR)$(DOCDIR)/$${f##*/}"; done
	for f in runbooks/*.md; do install -D -m 0644 "$$f" "$(DESTDIR)$(DOCDIR)/$$f"; done
	for f in units/dropins/*.conf; do install -D -m 0644 "$$f" "$(DESTDIR)$(DOCDIR)/dropins/$${f##*/}"; done

demo:
	scripts/demo.sh

test:
	scripts/test.sh

bench:
	scripts/bench.sh
