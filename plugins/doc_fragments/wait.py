# Copyright (c) 2026, coreweave.sandbox contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later


class ModuleDocFragment:
    # Options of modules that wait for a resource to settle after changing it.
    DOCUMENTATION = r"""
options:
  wait:
    description:
      - Whether to wait, after a change, until the resource has settled.
      - Nothing is waited for in check mode, nor when the task changed nothing.
      - The result's RV(duration) tells how many seconds the wait took.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait at most when O(wait=true).
      - When the time is up the task fails, naming the last status it saw; the change it made stays in place.
    type: int
    default: 1800
"""
