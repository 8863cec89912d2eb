"""Pure rules of device configs: what counts as noise in `show running-config`, which lines hold secrets and
are masked before a config is stored, the digest a version is compared by, and the diff between two
versions. No database, no device."""
from __future__ import annotations

import difflib
import hashlib
import re

MASK = "<已隐藏>"
# Lines that change without the configuration changing: the byte count, change and save stamps, the
# "Building configuration..." banner, clock lines some platforms print first.
NOISE = re.compile(
    r"^\s*(Building configuration\.\.\.|Current configuration\s*:.*|!\s*Last configuration change.*"
    r"|!\s*NVRAM config last updated.*|!\s*No configuration change since last restart.*|!\s*Time:.*"
    r"|ntp clock-period .*|\*?\d{2}:\d{2}:\d{2}(\.\d+)? \w+ \w{3} \w{3} +\d+ \d{4})\s*$")
# A secret keyword and what follows it on the line: an optional encryption type digit, then the secret (and,
# for community strings, the rest). Masked as "<keyword> <已隐藏>" so the line's shape stays diffable.
SECRET_LINE = re.compile(r"\b(password|secret|key-string|pre-shared-key|community|key)\b(\s+\d{1,2}(?=\s))?\s+\S.*$",
                         re.IGNORECASE)
DIFF_CONTEXT = 3


def normalise(text: str) -> str:
    """The config as stored and compared: line endings unified, trailing blanks and noise lines dropped,
    no blank lines at either end."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    kept = [line for line in lines if not NOISE.match(line)]
    while kept and not kept[0].strip():
        kept.pop(0)
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(kept) + "\n" if kept else ""


def mask(text: str) -> str:
    """Every line naming a password, secret, key or community keeps its keyword; its value becomes <已隐藏>."""
    return "\n".join(SECRET_LINE.sub(lambda m: f"{m.group(1)} {MASK}", line) for line in text.split("\n"))


def stored_form(running_config: str) -> str:
    """What a backup keeps of `show running-config`: masked, then normalised."""
    return normalise(mask(running_config))


def digest(stored: str) -> str:
    return hashlib.sha256(stored.encode("utf-8")).hexdigest()


def unified_diff(old: str, new: str, old_name: str, new_name: str) -> str:
    """difflib's unified diff of two stored configs ("" when equal)."""
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        fromfile=old_name, tofile=new_name, n=DIFF_CONTEXT))


def diff_lines(diff: str) -> list[tuple[str, str]]:
    """(kind, line) for a page to colour: kind is add, remove, hunk, file or same."""
    out = []
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            out.append(("file", line))
        elif line.startswith("@@"):
            out.append(("hunk", line))
        elif line.startswith("+"):
            out.append(("add", line))
        elif line.startswith("-"):
            out.append(("remove", line))
        else:
            out.append(("same", line))
    return out
