PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: build install demo test bench

build:
	. scripts/env.sh && swift build -c release --product supervise

install: build
	install -D -m 0755 .build/release/supervise $(DESTDIR)$(PREFIX)/bin/supervise
	install -D -m 0644 units/supervise.service $(DESTDIR)/etc/systemd/system/supervise.service
	test -e $(DESTDIR)/etc/supervise/supervise.yaml || install -D -m 0644 units/supervise.yaml $(DESTDIR)/etc/supervise/supervise.yaml
	install -D -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/supervise/README.md

demo:
	scripts/demo.sh

test:
	scripts/test.sh

bench:
	scripts/bench.sh
