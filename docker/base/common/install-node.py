#!/usr/bin/env python3
"""Install an exact official Node.js build, npm and corepack from the npm registry.

    swe-bot-install-node --node 24.22.3 --npm 12.2.3 [--corepack 0.36.0] PREFIX
    swe-bot-install-node --pins toolchains.json [--major 24] PREFIX

The Node.js binaries are published on the npm registry as `node-linux-<arch>`
(only `bin/node` inside), and npm and corepack as self-contained packages, so
an image needs no access beyond the package registry it installs from anyway.
The versions are exact (swe-bot pins them in docker/base/toolchains.json, which
`--pins` reads); every tarball is checked against the registry's integrity
hash. Reads SWE_BOT_NPM_REGISTRY (default https://registry.npmjs.org).

Exit codes say why it failed, so swe-bot can tell a retry from a fix
(src/sandbox/build-failure.ts): 2 bad arguments, 3 the registry has no such
version, 4 the registry's TLS certificate is not trusted, 75 the network
failed.
"""
import argparse
import base64
import hashlib
import io
import json
import os
import platform
import shutil
import ssl
import sys
import tarfile
import time
import urllib.error
import urllib.request

REGISTRY = os.environ.get("SWE_BOT_NPM_REGISTRY", "https://registry.npmjs.org").rstrip("/")
# The abbreviated metadata document is far smaller than the full packument
# and still carries each version's dist (tarball, integrity).
ACCEPT = "application/vnd.npm.install-v1+json"
ATTEMPTS = 3
TIMEOUT_S = 120

EXIT_NOT_FOUND = 3
EXIT_UNTRUSTED_CERTIFICATE = 4
EXIT_NETWORK = 75


def fail(code, message):
    print(f"swe-bot-install-node: {message}", file=sys.stderr)
    sys.exit(code)


def untrusted_certificate(err):
    reason = getattr(err, "reason", err)
    return isinstance(reason, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(reason)


def fetch(url, accept=None):
    last = None
    for attempt in range(ATTEMPTS):
        try:
            req = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
            with urllib.request.urlopen(req, timeout=TIMEOUT_S) as res:
                return res.read()
        except urllib.error.HTTPError as err:
            if err.code == 404:
                return None
            if err.code < 500 and err.code != 429:
                fail(EXIT_NOT_FOUND, f"{url} answered HTTP {err.code}")
            last = err
        except OSError as err:  # URLError, timeouts, resets: registries and proxies drop connections
            if untrusted_certificate(err):
                fail(
                    EXIT_UNTRUSTED_CERTIFICATE,
                    f"cannot fetch {url}: the registry's TLS certificate is not trusted ({getattr(err, 'reason', err)}); "
                    "a TLS-inspecting proxy needs its CA in SWE_BOT_EXTRA_CA_CERTS",
                )
            last = err
        if attempt + 1 < ATTEMPTS:
            time.sleep(2 * (attempt + 1))
    fail(EXIT_NETWORK, f"cannot fetch {url}: {last}")


def dist_of(pkg, version):
    body = fetch(f"{REGISTRY}/{pkg}", ACCEPT)
    if body is None:
        fail(EXIT_NOT_FOUND, f"the registry {REGISTRY} has no package {pkg}")
    meta = json.loads(body).get("versions", {}).get(version)
    if meta is None:
        fail(EXIT_NOT_FOUND, f"the registry {REGISTRY} has no {pkg}@{version}")
    return meta["dist"]


def check_integrity(pkg, version, dist, data):
    integrity = dist.get("integrity")
    if integrity:
        algorithm, _, expected = integrity.split(" ")[0].partition("-")
        digest = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    else:
        algorithm, expected = "sha1", dist.get("shasum", "")
        digest = hashlib.sha1(data).hexdigest()
    if digest != expected:
        # A download cut short or mangled on the way: the network's fault.
        fail(EXIT_NETWORK, f"{pkg}@{version}: the tarball's {algorithm} does not match the registry's")


def unpack(pkg, version, dest):
    """Unpack the npm tarball of pkg@version (a `package/` folder) into dest."""
    dist = dist_of(pkg, version)
    data = fetch(dist["tarball"])
    if data is None:
        fail(EXIT_NOT_FOUND, f"the tarball of {pkg}@{version} is missing ({dist['tarball']})")
    check_integrity(pkg, version, dist, data)
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


def versions_from_pins(path, major):
    with open(path, encoding="utf-8") as handle:
        pins = json.load(handle)
    major = str(major or pins["node_default_major"])
    entry = pins["node"].get(major)
    if entry is None:
        fail(EXIT_NOT_FOUND, f"{path} pins no release for Node.js {major}")
    return entry["node"], entry["npm"], entry.get("corepack")


def main():
    parser = argparse.ArgumentParser(prog="swe-bot-install-node")
    parser.add_argument("--node")
    parser.add_argument("--npm")
    parser.add_argument("--corepack")
    parser.add_argument("--pins")
    parser.add_argument("--major", type=int)
    parser.add_argument("prefix")
    args = parser.parse_args()
    if args.pins:
        node, npm, corepack = versions_from_pins(args.pins, args.major)
    elif args.node and args.npm:
        node, npm, corepack = args.node, args.npm, args.corepack
    else:
        parser.error("give --node and --npm versions, or --pins FILE")
    arch = {"x86_64": "x64", "aarch64": "arm64"}.get(platform.machine())
    if arch is None:
        fail(EXIT_NOT_FOUND, f"unsupported machine {platform.machine()}")
    prefix = args.prefix
    unpack(f"node-linux-{arch}", node, prefix)
    os.chmod(os.path.join(prefix, "bin", "node"), 0o755)
    npm_dir = os.path.join(prefix, "lib", "node_modules", "npm")
    shutil.rmtree(npm_dir, ignore_errors=True)
    unpack("npm", npm, npm_dir)
    link("../lib/node_modules/npm/bin/npm-cli.js", "npm", prefix)
    link("../lib/node_modules/npm/bin/npx-cli.js", "npx", prefix)
    if corepack:
        corepack_dir = os.path.join(prefix, "lib", "node_modules", "corepack")
        shutil.rmtree(corepack_dir, ignore_errors=True)
        unpack("corepack", corepack, corepack_dir)
        link("../lib/node_modules/corepack/dist/corepack.js", "corepack", prefix)
    print(f"node {node}, npm {npm}{f', corepack {corepack}' if corepack else ''} in {prefix}")


main()
