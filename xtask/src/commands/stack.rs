//! `cargo xtask deploy`, `diff` and `destroy`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};
use aws_config::SdkConfig;

use crate::config::{self, Config, ConfigArgs};
use crate::deploy::changes::Approval;
use crate::deploy::forwarders::{self, RegionOutcome};
use crate::deploy::{self, Session};
use crate::{aws, deploy::artifact, deploy::assembly, terminal};

/// How often to poll CloudFormation while waiting.
const POLL: Duration = Duration::from_secs(3);

/// Options of `deploy`.
#[derive(Debug, Clone, clap::Args)]
pub struct DeployArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Approve security-relevant changes (IAM, KMS, resource policies) without asking.
    #[arg(long)]
    pub yes: bool,
    /// Write the stack outputs to this JSON file.
    #[arg(long)]
    pub outputs_file: Option<PathBuf>,
    /// Deploy this synth output (a `cargo xtask synth --out` directory) as it
    /// is, instead of building and synthesising.
    #[arg(long)]
    pub from: Option<PathBuf>,
}

/// Options of `publish`.
#[derive(Debug, Clone, clap::Args)]
pub struct PublishArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Approve creating the assets stack (a bucket and its policy) without asking.
    #[arg(long)]
    pub yes: bool,
    /// Publish this synth output (a `cargo xtask synth --out` directory) as it
    /// is, instead of building and synthesising.
    #[arg(long)]
    pub from: Option<PathBuf>,
}

/// Options of `destroy`.
#[derive(Debug, Clone, clap::Args)]
pub struct DestroyArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Delete without asking.
    #[arg(long)]
    pub yes: bool,
    /// Also delete the assets stack and every artifact in its bucket.
    #[arg(long)]
    pub purge_assets: bool,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// The configuration, with the home region the SDK resolved (it decides
/// whether the home stack forwards), and the SDK configuration.
async fn load(args: &ConfigArgs) -> Result<(Config, SdkConfig)> {
    let mut config = config::load(args)?;
    config.warn_expired();
    let sdk = aws::load(config.region.as_deref()).await?;
    config.region = Some(aws::region(&sdk));
    Ok((config, sdk))
}

/// Runs `deploy`: build, synth into target/synth (or take `--from`), and
/// deploy exactly that output.
pub fn deploy(args: DeployArgs) -> Result<()> {
    let runtime = runtime()?;
    let (config, sdk) = runtime.block_on(load(&args.config))?;
    let assembly = assembled(&config, args.from.as_deref())?;
    let approval = Approval::from_flag(args.yes);
    runtime.block_on(async {
        let session = Session::new(&sdk, POLL);
        let report = deploy::deploy(&session, &config, &assembly, approval).await?;
        eprintln!(
            "deploy: {} is up to date in {}",
            config.stack_name, session.region
        );
        for (key, value) in &report.stack.outputs {
            println!("{key} = {}", terminal::value(value));
        }
        if let Some(path) = &args.outputs_file {
            deploy::write_outputs(path, &report.stack.outputs)?;
            eprintln!("deploy: outputs written to {}", path.display());
        }
        conclude(&config.stack_name, &report.forwarders, "deploy")
    })
}

/// Runs `publish`: build and synth (or take `--from`), upload the template
/// and zip, print the quick-create link.
pub fn publish(args: PublishArgs) -> Result<()> {
    let runtime = runtime()?;
    let (config, sdk) = runtime.block_on(load(&args.config))?;
    let assembly = assembled(&config, args.from.as_deref())?;
    let approval = Approval::from_flag(args.yes);
    runtime.block_on(async {
        let session = Session::new(&sdk, POLL);
        let launch =
            crate::console::publish(&session, &config.stack_name, &assembly, approval).await?;
        eprintln!(
            "publish: template {} and handler s3://{}/{}",
            launch.template_url, launch.bucket, launch.key
        );
        if config.forwards() {
            eprintln!(
                "publish: this link creates the home stack only; forwarders in other regions and accounts need cargo xtask deploy"
            );
        }
        println!("{}", launch.link);
        Ok(())
    })
}

/// The synth output to deploy or publish: `from` as it is, else a fresh
/// build and synth into target/synth.
fn assembled(config: &Config, from: Option<&std::path::Path>) -> Result<assembly::Assembly> {
    match from {
        Some(dir) => assembly::read(dir),
        None => {
            let binary = artifact::build()?;
            assembly::write(&assembly::default_dir(), config, Some(&binary))
        }
    }
}

/// Prints the forwarders' summary table; fails naming the regions that failed.
fn conclude(stack: &str, outcomes: &[RegionOutcome], command: &str) -> Result<()> {
    if outcomes.is_empty() {
        return Ok(());
    }
    eprintln!(
        "\n{}",
        forwarders::summary(&forwarders::stack_name(stack), outcomes)
    );
    match forwarders::failures(outcomes) {
        None => Ok(()),
        Some(failed) => bail!(
            "the forwarders failed in {failed}; every other region is deployed and keeps working. \
             Fix the cause shown above and run `cargo xtask {command}` again: regions already up to date are left as they are"
        ),
    }
}

/// Runs `diff`: synth (with the built handler, if any) and compare.
pub fn diff(args: ConfigArgs) -> Result<()> {
    let runtime = runtime()?;
    let (config, sdk) = runtime.block_on(load(&args))?;
    let binary = artifact::built();
    if binary.is_none() {
        eprintln!("diff: no handler built (cargo xtask build): comparing with the deployed code");
    }
    let assembly = assembly::write(&assembly::default_dir(), &config, binary.as_deref())?;
    runtime.block_on(async {
        let session = Session::new(&sdk, POLL);
        let changes = deploy::diff(&session, &config, &assembly).await?;
        if changes.is_empty() {
            println!("{}: no changes", config.stack_name);
        }
        for change in changes {
            println!("{}", change.describe());
        }
        let outcomes = deploy::diff_forwarders(&session, &config, &assembly).await?;
        for outcome in &outcomes {
            if let forwarders::Outcome::Planned(changes) = &outcome.result {
                for change in changes {
                    println!("[{}] {}", outcome.region, change.describe());
                }
            }
        }
        conclude(&config.stack_name, &outcomes, "diff")
    })
}

/// Runs `destroy`.
pub fn destroy(args: DestroyArgs) -> Result<()> {
    let config = config::load(&args.config)?;
    if !args.yes {
        confirm_destroy(&config.stack_name)?;
    }
    runtime()?.block_on(async {
        let sdk = aws::load(config.region.as_deref()).await?;
        let outcomes =
            deploy::destroy(&Session::new(&sdk, POLL), &config, args.purge_assets).await?;
        conclude(&config.stack_name, &outcomes, "destroy")
    })
}

fn confirm_destroy(stack: &str) -> Result<()> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "destroying {stack} needs confirmation and there is no terminal to ask: rerun with --yes"
        );
    }
    eprint!("Delete the stack {stack} and stop its alerts? [y/N] ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        bail!("not deleted")
    }
}
