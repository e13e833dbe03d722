"""Starts moto server, first making ExecuteChangeSet refresh the stack's template,
parameters, outputs and exports as real CloudFormation does. moto 5.2 leaves
them as they were before the change set (its own CreateStack and UpdateStack do
refresh them), so outputs go missing and DeleteStack later fails on the exports."""
import sys

from moto.cloudformation import models

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

from moto.server import main  # noqa: E402  (after the patch)

sys.exit(main(sys.argv[1:]))
