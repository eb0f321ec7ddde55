#!/usr/bin/env python3
"""Converts endoflife.date product files (YAML front matter) into daicho's eol.tsv.

Usage: convert.py SOURCE_DIR > eol.tsv
SOURCE_DIR is a snapshot of endoflife.date's products (one YAML file per product, its README
naming the commit and date). Only the release facts daicho uses are kept. Python's standard
library has no YAML parser, and these files use a small regular subset, so they are read line
by line: a `releases:` list of `- key: value` maps.
"""
import os
import re
import sys

FIELDS = ["product", "cycle", "label", "codename", "release_date", "eoas", "eol", "eoes", "latest", "lts"]
KEYMAP = {
    "releaseCycle": "cycle",
    "releaseLabel": "label",
    "codename": "codename",
    "releaseDate": "release_date",
    "eoas": "eoas",
    "eol": "eol",
    "eoes": "eoes",
    "latest": "latest",
    "lts": "lts",
}


def clean(value):
    value = re.sub(r"\s+#.*$", "", value).strip()  # YAML end-of-line comments
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return value.replace("\t", " ")


def releases(path):
    """The product's title, its label template (both top-level keys) and its releases."""
    rows, current, in_releases, title, template = [], None, False, None, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("title:"):
                title = clean(line[len("title:"):])
                continue
            if line.startswith("releaseLabel:"):
                template = clean(line[len("releaseLabel:"):])
                continue
            if line.startswith("releases:"):
                in_releases = True
                continue
            if not in_releases:
                continue
            if line and not line.startswith(" "):
                break  # next top-level key, or the closing '---'
            m = re.match(r"^  - (\w+):\s*(.*)$", line)
            if m:
                current = {}
                rows.append(current)
            else:
                m = re.match(r"^    (\w+):\s*(.*)$", line)
            if m and current is not None and m.group(1) in KEYMAP:
                current[KEYMAP[m.group(1)]] = clean(m.group(2))
    return title, template, rows


def label(title, template, release):
    """The name people use for a release, as endoflife.date shows it, with the product's title
    in front when the label is only a number ("11 24H2 (E)" -> "Microsoft Windows 11 24H2 (E)")."""
    text = release.get("label") or template or "__RELEASE_CYCLE__"
    text = text.replace("__RELEASE_CYCLE__", release["cycle"])
    text = text.replace("__CODENAME__", release.get("codename", ""))
    text = re.sub(r"\s*(\(\)|''|\"\")", "", text).strip()  # an empty codename's brackets
    if title and text[:1].isdigit():
        text = f"{title} {text}"
    return text


def main():
    src = sys.argv[1]
    readme = open(os.path.join(src, "README.md"), encoding="utf-8").read()
    m = re.search(r"commit (\w+) of (\d{4}-\d{2}-\d{2})", readme)
    if not m:
        sys.exit("convert.py: the source README does not name its commit and date")
    print(f"# daicho end-of-life data. Snapshot of endoflife.date, commit {m.group(1)}, {m.group(2)}.")
    print("# Derived from endoflife.date (MIT licence, see LICENSE-endoflife.txt beside this file).")
    print("# Regenerate: python3 data/convert.py PATH/TO/eol > data/eol.tsv")
    print(f"snapshot\t{m.group(2)}")
    print("\t".join(FIELDS))
    for name in sorted(os.listdir(src)):
        if not name.endswith(".yml"):
            continue
        product = name[:-4]
        title, template, rows = releases(os.path.join(src, name))
        for r in rows:
            if "cycle" not in r:
                continue
            r["product"] = product
            # Reports name a release as people do ("Debian 12 (Bookworm)"), not by the file's id.
            r["label"] = label(title, template, r)
            print("\t".join(r.get(k, "") or "-" for k in FIELDS))


main()
