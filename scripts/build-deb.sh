#!/usr/bin/env bash
# build-deb.sh: builds .build/deb/supervise_VERSION_ARCH.deb from a self-contained release binary
# (`make deb` runs this). Steps, each printed with its duration:
#   1. swift build -c release --static-swift-stdlib (supervise); checks that ldd names no Swift library
#   2. man pages for every subcommand, by swift-argument-parser's generate-manual (built from the
#      package's own checkout) from the binary's --experimental-dump-help; completions for bash,
#      zsh and fish from its --generate-completion-script
#   3. the tree: binary in /usr/bin; unit in /usr/lib/systemd/system with its paths pointed at
#      /usr/bin and /usr/share/doc; the default config as a conffile in /etc/supervise; README,
#      docs, runbooks and drop-ins in /usr/share/doc/supervise; maintainer scripts (packaging/debian)
#   4. Depends: by dpkg-shlibdeps from the binary's NEEDED libraries, plus libcurl4 (dlopened for probes)
#   5. dpkg-deb --build; lintian when it is installed (SUPERVISE_LINTIAN=0 skips it)
# Env: DEB_MAINTAINER (default: the changelog's trailer), SUPERVISE_DEB_VERSION (default: VERSION, which
#      must match packaging/debian/changelog), SUPERVISE_DEB_SKIP_BUILD=1 (package the binary already in
#      .build/release). Prints the .deb's path on the last line.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
REPO=$PWD
PKG=packaging/debian
START=$(date +%s.%N)
step() { echo "build-deb: $* ($(awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}') s)" >&2; }
die() { echo "build-deb: $*" >&2; exit 1; }

VERSION=$(tr -d ' \t\r\n' <VERSION)
CHANGELOG_VERSION=$(sed -n '1s/^supervise (\([^)]*\)).*/\1/p' "$PKG/changelog")
[ "$VERSION" = "$CHANGELOG_VERSION" ] \
  || die "VERSION says $VERSION but packaging/debian/changelog's first entry is $CHANGELOG_VERSION: add a changelog entry"
DEB_VERSION=${SUPERVISE_DEB_VERSION:-$VERSION}
MAINTAINER=${DEB_MAINTAINER:-$(sed -n 's/^ -- \(.*>\)  .*/\1/p' "$PKG/changelog" | head -n1)}
ARCH=$(dpkg --print-architecture)
for tool in dpkg-deb dpkg-shlibdeps gzip strip readelf; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool missing (scripts/setup.sh installs dpkg-dev and binutils)"
done

# 1. The self-contained binary.
if [ "${SUPERVISE_DEB_SKIP_BUILD:-0}" != 1 ]; then
  swift build -c release --static-swift-stdlib --product supervise >&2
  step "release build (--static-swift-stdlib) done"
fi
BIN=.build/release/supervise
[ -x "$BIN" ] || die "no $BIN"
if ldd "$BIN" | grep -E 'libswift|libFoundation|libdispatch|libBlocksRuntime|/opt/swift'; then
  die "$BIN loads Swift libraries (see above): build it with --static-swift-stdlib"
fi

WORK=.build/deb
ROOT=$WORK/root
rm -rf "$ROOT" "$WORK/man" "$WORK/shlibs"
mkdir -p "$ROOT/DEBIAN" "$WORK/man"

# 2. Man pages and completions, from the CLI's own definitions.
TOOLS=.build-tools
GEN=$TOOLS/argument-parser/debug/generate-manual
AP_SRC=.build/checkouts/swift-argument-parser
[ -d "$AP_SRC" ] || die "no $AP_SRC: run swift build first"
AP_REV=$(git -C "$AP_SRC" rev-parse HEAD 2>/dev/null || echo unknown)
if [ ! -x "$GEN" ] || [ "$(cat "$TOOLS/argument-parser.rev" 2>/dev/null)" != "$AP_REV" ]; then
  # A copy of the checkout (not the checkout itself, which SwiftPM owns), built in debug: about a minute.
  rm -rf "$TOOLS/argument-parser-src"
  mkdir -p "$TOOLS"
  cp -a "$AP_SRC" "$TOOLS/argument-parser-src"
  swift build --package-path "$TOOLS/argument-parser-src" --scratch-path "$TOOLS/argument-parser" \
    --product generate-manual >&2
  echo "$AP_REV" >"$TOOLS/argument-parser.rev"
  step "built generate-manual (swift-argument-parser $AP_REV)"
fi
# The date of the manual is the changelog's, so the same tree makes the same pages.
MAN_DATE=$(date -u -d "$(sed -n 's/^ -- .*>  \(.*\)$/\1/p' "$PKG/changelog" | head -n1)" +%Y-%m-%d)
"$GEN" "$BIN" --multi-page --date "$MAN_DATE" --output-directory "$WORK/man" >&2
mkdir -p "$ROOT/usr/share/man/man1"
for page in "$WORK"/man/*.1; do
  # generate-manual names a subcommand's page supervise.drain.1; man-db (`man supervise-drain`) and git-style
  # tools name it supervise-drain.1. The references between pages follow.
  # Its NAME line becomes "supervise-drain - ..." (what whatis and apropos index), its SYNOPSIS keeps the command
  # as typed, "supervise drain".
  name=$(basename "$page" .1)
  dashed=${name//./-}
  spaced=${name//./ }
  awk -v name="${name^^}" -v dashed="$dashed" -v spaced="$spaced" '
    $0 == ".Dt " name " 1" { print ".Dt " toupper(dashed) " 1"; next }
    /^\.Sh / { section = $2 }
    section == "NAME" && $0 == ".Nm \"" spaced "\"" { print ".Nm " dashed; next }
    section == "SYNOPSIS" && $0 == ".Nm" && dashed != spaced { print ".Nm \"" spaced "\""; next }
    /^\.Xr / { gsub(/supervise\./, "supervise-") }
    { print }' "$page" | gzip -9n >"$ROOT/usr/share/man/man1/$dashed.1.gz"
done
install -d "$ROOT/usr/share/bash-completion/completions" "$ROOT/usr/share/zsh/vendor-completions" \
  "$ROOT/usr/share/fish/vendor_completions.d"
# bash-completion sources the file: no #! line (lintian's bash-completion-with-hashbang).
"$BIN" --generate-completion-script bash | sed '1{/^#!/d}' >"$ROOT/usr/share/bash-completion/completions/supervise"
"$BIN" --generate-completion-script zsh >"$ROOT/usr/share/zsh/vendor-completions/_supervise"
"$BIN" --generate-completion-script fish >"$ROOT/usr/share/fish/vendor_completions.d/supervise.fish"
step "man pages ($(ls "$ROOT/usr/share/man/man1" | wc -l)) and completions generated"

# 3. The tree.
install -D -m 0755 "$BIN" "$ROOT/usr/bin/supervise"
strip --remove-section=.comment --remove-section=.note --strip-unneeded "$ROOT/usr/bin/supervise"
UNIT="$ROOT/usr/lib/systemd/system/supervise.service"
install -D -m 0644 units/supervise.service "$UNIT"
sed -i -e 's#/usr/local/bin/supervise#/usr/bin/supervise#g' \
       -e 's#/usr/local/share/doc/supervise#/usr/share/doc/supervise#g' \
       -e 's#Install with `make install` (see README, "systemd")#Installed by the supervise Debian package#' "$UNIT"
install -D -m 0644 units/supervise.yaml "$ROOT/etc/supervise/supervise.yaml"
sed -i -e 's#/usr/local/share/doc/supervise#/usr/share/doc/supervise#g' -e 's#(`make install`#(an upgrade of the package#' \
  "$ROOT/etc/supervise/supervise.yaml"
if grep -n '/usr/local' "$UNIT" "$ROOT/etc/supervise/supervise.yaml"; then die "paths under /usr/local left (above)"; fi
DOC="$ROOT/usr/share/doc/supervise"
install -D -m 0644 README.md "$DOC/README.md"
for f in docs/*.md; do install -D -m 0644 "$f" "$DOC/${f##*/}"; done
for f in runbooks/*.md; do install -D -m 0644 "$f" "$DOC/$f"; done
for f in units/dropins/*.conf; do
  install -D -m 0644 "$f" "$DOC/dropins/${f##*/}"
  sed -i -e 's#/usr/local/share/doc/supervise#/usr/share/doc/supervise#g' -e 's#`make install` puts#the package puts#' "$DOC/dropins/${f##*/}"
done
install -m 0644 "$PKG/copyright" "$DOC/copyright"
gzip -9n <"$PKG/changelog" >"$DOC/changelog.gz"
install -D -m 0644 "$PKG/lintian-overrides" "$ROOT/usr/share/lintian/overrides/supervise"
for s in postinst prerm postrm; do install -m 0755 "$PKG/$s" "$ROOT/DEBIAN/$s"; done
install -m 0644 "$PKG/conffiles" "$ROOT/DEBIAN/conffiles"

# 4. Depends: dpkg-shlibdeps reads debian/control of a source tree; a minimal one is made for it.
mkdir -p "$WORK/shlibs/debian"
printf 'Source: supervise\n\nPackage: supervise\nArchitecture: any\n' >"$WORK/shlibs/debian/control"
SHLIBS=$(cd "$WORK/shlibs" && dpkg-shlibdeps -O "$REPO/$ROOT/usr/bin/supervise" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$SHLIBS" ] || die "dpkg-shlibdeps found no dependencies"
# The binary's relocations are packed (DT_RELR, Package.swift's daemonLinkerFlags), which glibc reads from 2.36 on;
# dpkg-shlibdeps counts only the symbols a binary uses, not that version need, so it is added here.
if readelf -V "$ROOT/usr/bin/supervise" | grep -q GLIBC_ABI_DT_RELR; then
  SHLIBS=$(printf '%s' "$SHLIBS" | sed -E 's/libc6 \(>= [0-9.]+\)/libc6 (>= 2.36)/')
  case "$SHLIBS" in *"libc6 (>= 2.36)"*) ;; *) die "the binary needs glibc 2.36 (DT_RELR), but Depends has no libc6 to raise: $SHLIBS" ;; esac
fi
# libcurl is not NEEDED: CCurl loads libcurl.so.4 with dlopen on the first probe (Sources/CCurl).
# procps: the unit's ExecReload=/bin/kill -HUP $MAINPID.
DEPENDS="$SHLIBS, libcurl4, procps"

(cd "$ROOT" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) >"$ROOT/DEBIAN/md5sums"
chmod 0644 "$ROOT/DEBIAN/md5sums"
SIZE=$(du -k -s --exclude=DEBIAN "$ROOT" | cut -f1)
sed -e "s/@VERSION@/$DEB_VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@MAINTAINER@/$MAINTAINER/" \
    -e "s/@INSTALLED_SIZE@/$SIZE/" -e "s/@DEPENDS@/$DEPENDS/" "$PKG/control.in" >"$ROOT/DEBIAN/control"

# 5. The package.
DEB="$WORK/supervise_${DEB_VERSION}_${ARCH}.deb"
rm -f "$WORK"/supervise_*.deb
dpkg-deb --root-owner-group -Zxz --build "$ROOT" "$DEB" >&2
step "built $DEB ($(du -h "$DEB" | cut -f1); Depends: $DEPENDS)"
if [ "${SUPERVISE_LINTIAN:-1}" != 0 ] && command -v lintian >/dev/null 2>&1; then
  lintian --fail-on error --display-level '>=pedantic' "$DEB" >&2 \
    || die "lintian found errors (above)"
  step "lintian: no errors"
fi
echo "$REPO/$DEB"
