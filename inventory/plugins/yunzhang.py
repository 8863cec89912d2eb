"""Ansible inventory plugin `yunzhang`: the hosts the service knows, read from `yunzhang automation inventory
--list` (Ansible's JSON inventory: groups by department, zone and network, variables in _meta.hostvars).
Enabled by inventory/ansible.cfg; used as `ansible-inventory -i inventory/yunzhang.yml --list`."""
from __future__ import annotations

import json
import shlex
import subprocess

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin

DOCUMENTATION = r"""
name: yunzhang
short_description: hosts known to yunzhang (云长)
description: Runs the yunzhang CLI's inventory command and adds its groups, hosts and host variables.
options:
  plugin:
    description: the name of this plugin
    required: true
    choices: [yunzhang]
  command:
    description: the command printing the JSON inventory
    type: str
    default: yunzhang automation inventory --list
    env:
      - name: YUNZHANG_INVENTORY_COMMAND
"""


class InventoryModule(BaseInventoryPlugin):
    NAME = "yunzhang"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(("yunzhang.yml", "yunzhang.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        command = shlex.split(self.get_option("command"))
        try:
            data = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        except (OSError, subprocess.CalledProcessError, ValueError) as exc:
            raise AnsibleParserError(f"yunzhang inventory: {' '.join(command)} failed: {exc}") from exc
        hostvars = data.get("_meta", {}).get("hostvars", {})
        for group, body in data.items():
            if group == "_meta" or not isinstance(body, dict):
                continue
            self.inventory.add_group(group)
            for host in body.get("hosts", []):
                self.inventory.add_host(host, group=group)
            for child in body.get("children", []):
                self.inventory.add_group(child)
                self.inventory.add_child(group, child)
        for host, variables in hostvars.items():
            self.inventory.add_host(host)
            for key, value in variables.items():
                self.inventory.set_variable(host, key, value)
