"""Regenerate control/web/locale/en/LC_MESSAGES/messages.po: every _('…') in the templates and the
navigation, with the English below. A msgid missing here is listed and shown in Chinese."""
from __future__ import annotations

import pathlib
import re
import sys

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EN = dict(line.split("\t", 1) for line in (ROOT / "tools" / "en.tsv").read_text(encoding="utf-8").splitlines()
          if "\t" in line)


def msgids() -> list[str]:
    from control.automation import pages as automation_pages
    from control.cloud import pages as cloud_pages
    from control.cloud import rules as cloud_rules
    from control.migration import pages as migration_pages
    from control.migration import rules as migration_rules
    from control.navigation import NAV
    from control.systems.fields import CENSUS_FIELDS
    from control.systems.pages import ACTION_LABELS, SORTS
    from control.web import pages as web_pages
    from control.zombies import service as zombie_service
    found: list[str] = []
    for path in sorted((ROOT / "control/web/templates").rglob("*.html")):
        for m in re.finditer(r"_\('((?:[^'\\]|\\.)*)'\)", path.read_text(encoding="utf-8")):
            found.append(m.group(1))
    found += [label for _, label, _ in NAV]
    found += ["周" + w for w in "一二三四五六日"] + [text for _, text in SORTS] + list(ACTION_LABELS.values())
    found += [f.hint for f in CENSUS_FIELDS if f.hint]  # shown under the form fields as _(f.hint)
    for path in sorted((ROOT / "control").rglob("*.py")):        # flash(request, "…{name}…", name=…)
        found += re.findall(r'flash\(request, "((?:[^"\\]|\\.)*)"', path.read_text(encoding="utf-8"))
    found += list(cloud_rules.ACTION_LABELS.values()) + list(zombie_service.ACTION_LABELS.values())
    found += list(cloud_pages.SORT_LABELS.values()) + [row[0] for rows in web_pages.CLOUD_AWAITING.values()
                                                        for row in rows] + [row[2] for row in web_pages.ZOMBIE_AWAITING]
    found += list(migration_rules.ACTION_LABELS.values()) + list(migration_rules.SYSTEM_ACTION_LABELS.values())
    found += list(migration_pages.DONE.values()) + list(automation_pages.ACTION_DONE.values())
    return list(dict.fromkeys(found))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--missing":  # list what en.tsv lacks, write nothing
        print("\n".join(m for m in msgids() if m not in EN))
        return
    catalog = Catalog(locale="en", project="yunzhang", charset="utf-8")
    missing = []
    for msgid in msgids():
        catalog.add(msgid, EN.get(msgid, ""))
        if msgid not in EN:
            missing.append(msgid)
    out = ROOT / "control/web/locale/en/LC_MESSAGES/messages.po"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as fh:
        write_po(fh, catalog, width=120, sort_output=False)
    print(f"{len(catalog)} messages, {len(missing)} untranslated" + ("".join(f"\n  {m}" for m in missing)))


if __name__ == "__main__":
    main()
