//! xtask's integration tests, in one binary: each links the AWS SDK, so one
//! binary instead of one per file saves most of the build's linking time and disk.

mod aws_mocks;
mod common;

mod assets_real_aws_behaviours;
mod contract;
mod deploy_on_emulator;
mod deploy_real_aws_behaviours;
mod destinations_on_emulator;
mod digest_on_emulator;
mod docs;
mod emulator;
mod end_to_end;
mod grants;
mod guard;
mod hostile_input;
mod operations_on_emulator;
mod regions_on_emulator;
mod regions_real_aws_behaviours;
mod simulate;
mod smoke_real_aws_behaviours;
mod stack_on_emulator;
mod stackset_real_aws_behaviours;
mod state_on_emulator;
mod status_real_aws_behaviours;
mod template;
