"""(Copied from the shared container tooling; changed: COMPOSE_ENV_FILE,
COMPOSE_V1COMPAT_BASE (files an override is checked on top of), and `images` leaves out
an image that another service of the file builds.)
Helpers around Debian's docker-compose 1.29 (run with /usr/bin/python3, which has
PyYAML because docker-compose needs it).
Reading `docker-compose config` output on stdin:
  compose_inspect.py images       -> images the project needs but does not build
                                     (service images without build:, Dockerfile FROMs,
                                     COPY/RUN --from=<image>)
  compose_inspect.py dockerfiles  -> Dockerfile path of each build context
  compose_inspect.py loopback     -> same config with every published port bound to
                                     127.0.0.1 (tests stay on loopback)
On files:
  compose_inspect.py v1compat IN OUT PROJECT_DIR
      copy IN to OUT, dropping the Compose-v2-only keys that v1.29 rejects (top-level
      `name`, healthcheck `start_interval`, depends_on `required`/`restart`, `develop`,
      ...): runs `docker-compose config -q` and strips whatever key its error names,
      until it passes. Prints `name=<top-level name>` and one `dropped=<path>` per key."""
import os
import re
import subprocess
import sys

import yaml


def builds(cfg):
    for svc in (cfg.get("services") or {}).values():
        b = svc.get("build")
        if not b:
            continue
        if isinstance(b, str):
            b = {"context": b}
        ctx = b.get("context", ".")
        df = b.get("dockerfile", "Dockerfile")
        path = df if os.path.isabs(df) else os.path.join(ctx, df)
        args = b.get("args") or {}
        if isinstance(args, list):
            args = dict(a.split("=", 1) for a in args if "=" in a)
        yield path, {k: ("" if v is None else str(v)) for k, v in args.items()}


def dockerfile_images(path, args):
    out, stages, argdef = set(), set(), {}
    text = re.sub(r"\\\r?\n", " ", open(path).read())
    subst = lambda s: re.sub(r"\$\{?(\w+)\}?", lambda m: argdef.get(m.group(1), ""), s)
    for line in text.splitlines():
        parts = line.strip().split()
        if not parts or parts[0].startswith("#"):
            continue
        kw = parts[0].upper()
        if kw == "ARG" and len(parts) > 1 and not stages:
            k, _, v = parts[1].partition("=")
            argdef[k] = args.get(k, v.strip("\"'"))
        elif kw == "FROM":
            rest = [p for p in parts[1:] if not p.startswith("--")]
            if not rest:
                continue
            img = subst(rest[0])
            if len(rest) >= 3 and rest[1].lower() == "as":
                stages.add(rest[2])
            if img not in stages and img != "scratch":
                out.add(img)
        elif kw in ("COPY", "RUN", "ADD"):
            for p in parts[1:]:
                if p.startswith("--from="):
                    src = subst(p.split("=", 1)[1])
                    if src not in stages and not src.isdigit():
                        out.add(src)
    return out


LOOPBACK = ("127.", "::1", "[::1]", "localhost")


def loopback(cfg):
    for name, svc in (cfg.get("services") or {}).items():
        ports = svc.get("ports")
        if not ports:
            continue
        new = []
        for p in ports:
            orig = p
            if isinstance(p, dict):
                ip = p.get("host_ip", "")
                if not ip.startswith(LOOPBACK):
                    p = "127.0.0.1:%s:%s/%s" % (p.get("published", ""), p["target"], p.get("protocol", "tcp"))
            else:
                p = str(p)
                m = re.match(r"^(\[[^\]]*\]|[0-9.]+|::1|[0-9a-fA-F:]+(?=:\d+:)):(.*)$", p)
                if m and m.group(1).startswith(LOOPBACK):
                    pass
                elif m and p.count(":") >= 2:
                    p = "127.0.0.1:" + m.group(2)
                else:
                    p = "127.0.0.1:" + (p if ":" in p else ":" + p)
            if p != orig:
                sys.stderr.write("NOTE: %s: published port %r rebound to %r (loopback only)\n" % (name, orig, p))
            new.append(p)
        svc["ports"] = new
    return cfg


ERRORS = [
    # "'name' does not match any of the regexes: '^x-'"  (top level)
    re.compile(r"^\s*'(?P<key>[\w.-]+)' does not match any of the regexes"),
    # "services.smtp.healthcheck value 'start_interval' does not match any of the regexes"
    re.compile(r"^\s*(?P<path>[\w.-]+) value '(?P<key>[\w.-]+)' does not match any of the regexes"),
    # "services.smtp.depends_on contains unsupported option: 'required'"
    re.compile(r"^\s*(?P<path>[\w.-]+) contains unsupported option: '(?P<key>[\w.-]+)'"),
    # "Unsupported config option for services.smtp: 'develop'"
    re.compile(r"Unsupported config option for (?P<path>[\w.-]+): '(?P<key>[\w.-]+)'"),
]


def strip_key(node, key, depth=2):
    """Remove `key` from node, or from dicts nested up to `depth` levels below it."""
    removed = []
    if isinstance(node, dict):
        if key in node:
            node.pop(key)
            removed.append(key)
        elif depth > 0:
            for k, v in node.items():
                removed += [k + "." + r for r in strip_key(v, key, depth - 1)]
    return removed


def v1compat(src, dst, projdir):
    doc = yaml.safe_load(open(src)) or {}
    name = doc.get("name", "")
    dropped = []
    for _ in range(50):
        with open(dst, "w") as f:
            yaml.safe_dump(doc, f, sort_keys=False)
        env_file = os.environ.get("COMPOSE_ENV_FILE")
        env_args = ["--env-file", env_file] if env_file else []
        # an override is only valid on top of the files before it (already converted)
        base = [a for f in os.environ.get("COMPOSE_V1COMPAT_BASE", "").split(":") if f for a in ("-f", f)]
        r = subprocess.run(["docker-compose", "--project-directory", projdir, *env_args, *base, "-f", dst,
                            "config", "-q"], capture_output=True, text=True)
        if r.returncode == 0:
            break
        progress = False
        for line in r.stderr.splitlines():
            for rx in ERRORS:
                m = rx.search(line)
                if not m:
                    continue
                path = [p for p in (m.groupdict().get("path") or "").split(".") if p]
                node = doc
                for k in path:
                    node = node.get(k, {}) if isinstance(node, dict) else {}
                for r_ in strip_key(node, m.group("key")):
                    dropped.append(".".join(path + [r_]))
                    progress = True
                break
        if not progress:
            sys.stderr.write(r.stderr)
            sys.exit(1)
    print("name=" + str(name))
    for d in dropped:
        print("dropped=" + d)


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else "images"
    if what == "v1compat":
        v1compat(*sys.argv[2:5])
        return
    cfg = yaml.safe_load(sys.stdin) or {}
    if what == "loopback":
        yaml.safe_dump(loopback(cfg), sys.stdout, sort_keys=False)
        return
    if what == "dockerfiles":
        seen = []
        for path, _ in builds(cfg):
            if path not in seen:
                seen.append(path)
        print("\n".join(seen))
        return
    out = set()
    built = {svc.get("image") for svc in (cfg.get("services") or {}).values() if svc.get("build")}
    for svc in (cfg.get("services") or {}).values():
        if not svc.get("build") and svc.get("image") and svc["image"] not in built:
            out.add(svc["image"])
    for path, args in builds(cfg):
        out |= dockerfile_images(path, args)
    print("\n".join(sorted(out)))


if __name__ == "__main__":
    main()
