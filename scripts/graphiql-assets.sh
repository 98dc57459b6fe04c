#!/usr/bin/env bash
# Fetches GraphiQL's scripts and styles into <dir> for PLAYGROUND_ASSETS_DIR, so the
# page at /graphql works on a machine without internet access:
#
#   scripts/graphiql-assets.sh /srv/graphiql && PLAYGROUND_ASSETS_DIR=/srv/graphiql log-sentinel
#
# The packages come from the npm registry (`npm pack`, which checks each tarball's
# integrity), pinned to the versions src/graphql/graphiql.rs names for its CDN URLs.
# Run it where the registry is reachable and copy <dir> over if the server's machine
# has no network. Does nothing when <dir> already holds these versions.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 <dir>" >&2
    exit 2
fi
dest=$1

# package@version, then "path-in-package:file-name" pairs. Keep in step with ASSETS
# in src/graphql/graphiql.rs.
packages=(
    "react@18.3.1 umd/react.production.min.js:react.production.min.js"
    "react-dom@18.3.1 umd/react-dom.production.min.js:react-dom.production.min.js"
    "graphiql@4.1.2 graphiql.min.js:graphiql.min.js graphiql.min.css:graphiql.min.css"
)
stamp=$(printf '%s\n' "${packages[@]}")

if [ -f "$dest/.versions" ] && [ "$(cat "$dest/.versions")" = "$stamp" ]; then
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$dest"

for entry in "${packages[@]}"; do
    read -r spec files <<<"$entry"
    tarball=$(cd "$work" && npm pack --silent "$spec" | tail -n 1)
    unpacked="$work/${tarball%.tgz}"
    mkdir -p "$unpacked"
    tar -xzf "$work/$tarball" -C "$unpacked"
    for pair in $files; do
        # npm tarballs keep their files under package/.
        cp "$unpacked/package/${pair%%:*}" "$dest/${pair##*:}"
    done
done

# Written last: an interrupted run is retried in full next time.
printf '%s\n' "$stamp" >"$dest/.versions"
echo "GraphiQL assets in $dest: $(cd "$dest" && ls -- *.js *.css | tr '\n' ' ')"
