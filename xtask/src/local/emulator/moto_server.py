"""Starts moto server after fixing two gaps against real AWS.

- ExecuteChangeSet refreshes the stack's template, parameters, outputs and
  exports as real CloudFormation does. moto 5.2 leaves them as they were before
  the change set (its own CreateStack and UpdateStack do refresh them), so
  outputs go missing and DeleteStack later fails on the exports.
- Event patterns reach into arrays of objects: EventBridge matches an array by
  any of its values ("Arrays in Amazon EventBridge event patterns") and its
  matcher, event-ruler, flattens arrays of objects so that
  `groupSet.items.groupId` names each item's `groupId`. moto 5.2 stops at the
  array, so a pattern on CloudTrail's `items` lists never matches there."""
import sys

from moto.cloudformation import models
from moto.events import models as events

_execute_change_set = models.CloudFormationBackend.execute_change_set


def _execute_and_refresh(self, change_set_name, stack_name=None):
    _execute_change_set(self, change_set_name, stack_name)
    change_set = self.change_sets.get(change_set_name) or next(
        cs
        for cs in self.change_sets.values()
        if cs.change_set_name == change_set_name and stack_name in (None, cs.stack_name, cs.stack_id)
    )
    stack = self.stacks[change_set.stack_id]
    stack.template = change_set.template
    stack._parse_template()
    stack.parameters = change_set.parameters
    stack.output_map = stack._create_output_map()
    for export in stack.exports:
        self.exports[export.name] = export


models.CloudFormationBackend.execute_change_set = _execute_and_refresh


def _add(result, key, value):
    """Adds a leaf value under `key`, gathering several into one array."""
    if key not in result:
        result[key] = value
        return
    have = result[key] if isinstance(result[key], list) else [result[key]]
    result[key] = have + (value if isinstance(value, list) else [value])


def _flatten(node, prefix="", result=None):
    """Dotted leaf paths to values, through objects and arrays of objects."""
    if result is None:
        result = {}
    if isinstance(node, dict):
        for k, v in node.items():
            key = f"{prefix}.{k}" if prefix else k
            if isinstance(v, dict) and v:
                _flatten(v, key, result)
            elif isinstance(v, list) and any(isinstance(item, dict) for item in v):
                for item in v:
                    if isinstance(item, dict):
                        for leaf, value in _flatten(item, key).items():
                            _add(result, leaf, value)
                    else:
                        _add(result, key, item)
            else:
                _add(result, key, v)
    return result


events.EventPattern._flatten_dict = staticmethod(_flatten)

from moto.server import main  # noqa: E402  (after the patch)

sys.exit(main(sys.argv[1:]))
