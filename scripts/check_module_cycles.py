#!/usr/bin/env python3
"""Fails when two modules of one crate import each other, directly or in a
circle (issue 13: "no import cycle among modules of any crate").

Reads every `crates/*/src/**/*.rs` as text (test modules left out), follows
`use crate::…`, `use super::…` and `crate::…`/`super::…` paths in code,
resolves names re-exported by a parent (`pub use child::Item`) to the
module that defines them, and reports every strongly connected set of two
or more modules. A parent re-exporting its children is not an edge.
Usage: python3 scripts/check_module_cycles.py  (exit 1 on a cycle).
"""
import os
import re
import sys


def module_of(src, path):
    parts = os.path.relpath(path, src)[:-3].split("/")
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return tuple(parts)


def use_paths(text):
    """Every path of `a::{b, c::{d}}` as a list of segments."""
    out = []

    def walk(prefix, tree):
        tree = tree.strip()
        if not tree:
            return
        if "{" in tree and tree.endswith("}"):
            head, body = tree.split("{", 1)
            head = [s for s in head.rstrip(":").strip().split("::") if s]
            depth, cur = 0, ""
            for ch in body[:-1]:
                depth += ch == "{"
                depth -= ch == "}"
                if ch == "," and depth == 0:
                    walk(prefix + head, cur)
                    cur = ""
                else:
                    cur += ch
            walk(prefix + head, cur)
        else:
            out.append(prefix + [s for s in tree.split(" as ")[0].strip().split("::") if s])

    walk([], text)
    return out


def cycles_of(src):
    files = [os.path.join(d, f) for d, _, fs in os.walk(src) for f in fs if f.endswith(".rs")]
    mods = {module_of(src, f): f for f in files}
    code = {}
    for m, f in mods.items():
        text = open(f, encoding="utf-8").read().split("#[cfg(test)]")[0]
        code[m] = "\n".join(l for l in text.split("\n") if not l.strip().startswith("//"))
    reexport = {}
    for m, text in code.items():
        for stmt in re.findall(r"pub(?:\(crate\))?\s+use\s+([^;]+);", text):
            for p in use_paths(stmt):
                if p[0] not in ("crate", "super", "self") and m + tuple(p[:-1]) in mods:
                    reexport[(m, p[-1])] = m + tuple(p[:-1])

    def resolve(base, rest):
        cur = base
        for seg in rest:
            if cur + (seg,) in mods:
                cur = cur + (seg,)
                continue
            for _ in range(10):
                if (cur, seg) not in reexport:
                    break
                cur = reexport[(cur, seg)]
            break
        return cur

    edges = {m: set() for m in mods}
    for m, text in code.items():
        paths = [p for s in re.findall(r"(?<!pub )(?<!pub\(crate\) )\buse\s+([^;]+);", text) for p in use_paths(s)]
        paths += [p.split("::") for p in re.findall(r"(?<![\w:])((?:crate|super)(?:::\w+)+)", text)]
        for p in paths:
            if p[0] == "crate":
                base, rest = (), p[1:]
            elif p[0] == "super":
                base, rest = m[:-1], p[1:]
            elif p[0] == "self":
                base, rest = m, p[1:]
            else:
                continue
            while rest and rest[0] == "super":
                base, rest = base[:-1], rest[1:]
            target = resolve(base, rest)
            if target != m and target != ():
                edges[m].add(target)

    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append("::".join(w))
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in list(edges):
        if v not in index:
            visit(v)
    return found


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crates")
    bad = False
    for crate in sorted(os.listdir(root)):
        src = os.path.join(root, crate, "src")
        if not os.path.isdir(src):
            continue
        for cycle in cycles_of(src):
            bad = True
            print(f"{crate}: modules import each other: {' <-> '.join(cycle)}")
    if not bad:
        print("no import cycles among the modules of any crate")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
