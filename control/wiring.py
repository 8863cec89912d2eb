"""What every process installs at start, before it serves a request or claims a run: the run kinds automation
executes, and the subjects a change can serve (control/automation/links.py) with what each does when a change
serving it is created and when it succeeds. Here, above the domains, so automation imports none of them."""
from __future__ import annotations


def install() -> None:
    from control.automation import kinds, links
    from control.automation import service as automation
    from control.cloud import automation as cloud
    from control.migration import automation as migration
    from control.zombies import automation as zombies
    kinds.install()
    for link in (migration.LINK, cloud.LINK, zombies.LINK):
        links.register(link)
    if links.on_finished not in automation.finished_listeners:
        automation.finished_listeners.append(links.on_finished)
