#!/usr/bin/env python3
"""Install an official Node.js build, npm and corepack from the npm registry.

    install-node.py MAJOR PREFIX

The Node.js binaries are published on the npm registry as `node-linux-<arch>`
(only `bin/node` inside), and npm and corepack as self-contained packages, so an
environment needs no access beyond the package registry it installs from anyway.
Reads SWE_BOT_NPM_REGISTRY (default https://registry.npmjs.org).
"""
import io
import re
import json
import os
import platform
import shutil
import sys
import tarfile
import urllib.request

REGISTRY = os.environ.get("SWE_BOT_NPM_REGISTRY", "https://registry.npmjs.org").rstrip("/")
# The abbreviated metadata document is far smaller than the full packument.
ACCEPT = "application/vnd.npm.install-v1+json"


def fetch(url, accept=None):
    last = None
    for _ in range(3):
        try:
            req = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
            with urllib.request.urlopen(req, timeout=120) as res:
                return res.read()
        except OSError as err:  # retried: registries and proxies drop connections
            last = err
    raise SystemExit(f"install-node: cannot fetch {url}: {last}")


def version_key(v):
    return tuple(int(x) for x in v.split("."))


def parse_partial(text):
    """'20', '20.17', '20.17.0', '20.x' -> (numbers given, padded tuple)."""
    nums = []
    for part in text.split("."):
        if part in ("x", "X", "*", ""):
            break
        nums.append(int(re.match(r"\d+", part).group(0)))
    return len(nums), tuple(nums + [0] * (3 - len(nums)))[:3]


def satisfies_comparator(version, comp):
    comp = comp.strip()
    if comp in ("", "*", "x"):
        return True
    op, rest = re.match(r"(\^|~|>=|<=|>|<|=)?\s*v?(.*)", comp).groups()
    given, low = parse_partial(rest)
    if op in (None, "="):
        if given == 3:
            return version == low
        op = "~" if given == 2 else "^"
    if op == ">=":
        return version >= low
    if op == ">":
        return version > low
    if op == "<=":
        return version <= low
    if op == "<":
        return version < low
    if op == "~":
        high = (low[0], low[1] + 1, 0) if given >= 2 else (low[0] + 1, 0, 0)
        return low <= version < high
    # caret: the left-most non-zero part must not change
    if low[0] > 0 or given == 1:
        high = (low[0] + 1, 0, 0)
    elif low[1] > 0 or given == 2:
        high = (0, low[1] + 1, 0)
    else:
        high = (0, 0, low[2] + 1)
    return low <= version < high


def satisfies(version, spec):
    """A small subset of npm's semver ranges: enough for `engines.node`."""
    for alternative in spec.split("||"):
        alternative = re.sub(r"(>=|<=|>|<|=|\^|~)\s+", r"\1", alternative.strip())
        if " - " in alternative:
            lo, hi = alternative.split(" - ", 1)
            alternative = f">={lo} <={hi}"
        if all(satisfies_comparator(version, c) for c in alternative.split()):
            return True
    return False


def resolve(pkg, major=None, node=None):
    """Newest stable version of pkg, within `major` if given, whose engines accept `node`."""
    doc = json.loads(fetch(f"{REGISTRY}/{pkg}", ACCEPT))
    best = None
    for version, meta in doc["versions"].items():
        parts = version.split(".")
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            continue
        if major is not None and parts[0] != str(major):
            continue
        engines = (meta.get("engines") or {}).get("node")
        if node is not None and isinstance(engines, str):
            try:
                if not satisfies(node, engines):
                    continue
            except (AttributeError, ValueError):
                pass  # a range this parser does not know: do not hold it against the version

        if best is None or version_key(version) > version_key(best[0]):
            best = (version, meta["dist"]["tarball"])
    if best is None:
        raise SystemExit(f"install-node: the registry has no {pkg} for major {major}, node {node}")
    return best


def unpack(url, dest):
    """Unpack an npm tarball (a `package/` folder) into dest."""
    data = fetch(url)
    os.makedirs(dest, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            name = member.name.split("/", 1)[1] if "/" in member.name else ""
            if not name or name.startswith("/") or ".." in name.split("/"):
                continue
            member.name = name
            member.uid = member.gid = 0
            member.uname = member.gname = ""
            tar.extract(member, dest, filter="tar") if hasattr(tarfile, "data_filter") else tar.extract(member, dest)


def link(target, name, prefix):
    path = os.path.join(prefix, "bin", name)
    if os.path.lexists(path):
        os.remove(path)
    os.symlink(target, path)
    os.chmod(os.path.join(prefix, "bin", target), 0o755)


def main():
    if len(sys.argv) != 3 or not sys.argv[1].isdigit():
        raise SystemExit("usage: install-node.py MAJOR PREFIX")
    major, prefix = int(sys.argv[1]), sys.argv[2]
    arch = {"x86_64": "x64", "aarch64": "arm64"}.get(platform.machine())
    if arch is None:
        raise SystemExit(f"install-node: unsupported machine {platform.machine()}")
    version, url = resolve(f"node-linux-{arch}", major=major)
    unpack(url, prefix)
    os.chmod(os.path.join(prefix, "bin", "node"), 0o755)
    node = version_key(version)
    # The newest npm and corepack whose `engines` accept this Node.
    _, npm_url = resolve("npm", node=node)
    npm_dir = os.path.join(prefix, "lib", "node_modules", "npm")
    shutil.rmtree(npm_dir, ignore_errors=True)
    unpack(npm_url, npm_dir)
    link("../lib/node_modules/npm/bin/npm-cli.js", "npm", prefix)
    link("../lib/node_modules/npm/bin/npx-cli.js", "npx", prefix)
    _, corepack_url = resolve("corepack", node=node)
    corepack_dir = os.path.join(prefix, "lib", "node_modules", "corepack")
    shutil.rmtree(corepack_dir, ignore_errors=True)
    unpack(corepack_url, corepack_dir)
    link("../lib/node_modules/corepack/dist/corepack.js", "corepack", prefix)
    print(f"node {version} in {prefix}")


main()
