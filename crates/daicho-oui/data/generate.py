#!/usr/bin/env python3
"""Regenerates `ieee-prefixes.tsv`, daicho-oui's vendor table, from npm's `oui-data` package.

Usage (from the repository root; needs npm, and `apt-get install ieee-data` for the IAB list):

    python3 crates/daicho-oui/data/generate.py [--version VERSION] \
        > crates/daicho-oui/data/ieee-prefixes.tsv

    --version VERSION   the oui-data release to use (default: the registry's `latest`)
    --package DIR       an already unpacked oui-data package (package.json + index.json) instead
                        of fetching it; then --published must be given too
    --published DATE    the release's publication date, YYYY-MM-DD (default: asked from npm)
    --ieee-data DIR     Debian ieee-data's directory (default /usr/share/ieee-data)

Sources:

- MA-L (24-bit), MA-M (28-bit) and MA-S (36-bit): npm `oui-data` (https://github.com/silverwind/
  oui-data, BSD-2-Clause, the notice is LICENSE-oui-data.txt beside this script), rebuilt from
  the IEEE registry by its maintainer's weekly job. `index.json` maps the assignment in upper-case
  hex (6, 7 or 9 digits) to "name\\naddress lines\\ncountry". The package states no registry date:
  the date recorded is the day the release was published on npm, when its data was taken.
  Last run: oui-data 2.1.9, published 2026-08-26.
- IAB (the older 36-bit blocks under 00:50:C2 and 40:D8:55): oui-data does not carry them.
  IEEE closed that registry in 2014, so Debian's `ieee-data` `iab.csv` (dated 2022-08-27) is its
  final list; columns `Registry,Assignment,Organization Name,Organization Address`. An
  assignment in oui-data wins over an IAB row for the same prefix.

Output: comment lines starting with `#` (source, package version, licence, registry date and the
count), then one line per assignment, `PREFIX<TAB>NAME`, sorted by prefix. PREFIX's length gives
the prefix size (6 digits = 24 bits, 7 = 28, 9 = 36). Only the registrant's name is kept (the
address is dropped: the agent reports the name alone, and it keeps the file small). daicho-oui
reads `registry-date:` and `source:` from the header at run time (`data status`, reports).
"""

import argparse
import csv
import datetime
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile

PACKAGE = "oui-data"
HEX_LENGTHS = {6, 7, 9}
HEX = re.compile(r"^[0-9A-F]+$")


def clean_name(text):
    """The registrant's name as registered; tabs and line breaks (which would break the format)
    and runs of spaces become one space."""
    return re.sub(r"\s+", " ", text).strip()


def fetch_package(version, into):
    """`npm pack oui-data@VERSION` into `into`, unpacked; returns the package directory."""
    spec = f"{PACKAGE}@{version}" if version else PACKAGE
    out = subprocess.run(
        ["npm", "pack", spec, "--silent"], cwd=into, check=True, capture_output=True, text=True
    ).stdout.strip().splitlines()[-1]
    with tarfile.open(os.path.join(into, out)) as tar:
        tar.extractall(into, filter="data")
    return os.path.join(into, "package")


def published_on(version):
    """The day npm says `version` of the package was published."""
    out = subprocess.run(
        ["npm", "view", PACKAGE, "time", "--json"], check=True, capture_output=True, text=True
    ).stdout
    stamp = json.loads(out)[version]
    return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")).date().isoformat()


def read_package(directory):
    with open(os.path.join(directory, "package.json"), encoding="utf-8") as handle:
        meta = json.load(handle)
    with open(os.path.join(directory, "index.json"), encoding="utf-8") as handle:
        data = json.load(handle)
    entries = {}
    for prefix, text in data.items():
        prefix = prefix.strip().upper()
        name = clean_name(text.split("\n", 1)[0])
        if len(prefix) not in HEX_LENGTHS or not HEX.match(prefix):
            print(f"oui-data: skipping malformed assignment {prefix!r}", file=sys.stderr)
            continue
        if name:
            entries[prefix] = name
    return meta, entries


def read_iab(ieee_data):
    path = os.path.join(ieee_data, "iab.csv")
    entries = {}
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            prefix = row["Assignment"].strip().upper()
            name = clean_name(row["Organization Name"])
            if len(prefix) != 9 or not HEX.match(prefix):
                print(f"{path}: skipping malformed assignment {prefix!r}", file=sys.stderr)
                continue
            if name:
                entries[prefix] = name
    return entries


def debian_version(package):
    try:
        return subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", package], check=True, capture_output=True, text=True
        ).stdout.strip() or "unknown"
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--version")
    parser.add_argument("--package")
    parser.add_argument("--published")
    parser.add_argument("--ieee-data", default="/usr/share/ieee-data")
    args = parser.parse_args()
    if args.package and not args.published:
        parser.error("--package needs --published")

    with tempfile.TemporaryDirectory() as scratch:
        directory = args.package or fetch_package(args.version, scratch)
        meta, registry = read_package(directory)
    version = meta["version"]
    licence = meta.get("license", "unknown")
    published = args.published or published_on(version)
    iab = read_iab(args.ieee_data)

    entries = dict(iab)
    entries.update(registry)
    sizes = {n: sum(1 for p in registry if len(p) == n) for n in (6, 7, 9)}
    out = sys.stdout
    out.write("# IEEE MA-L/MA-M/MA-S/IAB registrants, generated by crates/daicho-oui/data/generate.py\n")
    out.write(
        f"# source: npm {PACKAGE} {version} ({licence}, see LICENSE-oui-data.txt) for MA-L/MA-M/MA-S;"
        f" IAB from Debian ieee-data {debian_version('ieee-data')} iab.csv (registry closed)\n"
    )
    out.write(f"# package: {PACKAGE} {version}\n")
    out.write(f"# licence: {licence}\n")
    out.write(f"# registry-date: {published}\n")
    out.write(
        f"# entries: {len(entries)} (MA-L {sizes[6]}, MA-M {sizes[7]}, MA-S {sizes[9]},"
        f" IAB {len(set(iab) - set(registry))})\n"
    )
    for prefix in sorted(entries):
        out.write(f"{prefix}\t{entries[prefix]}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
