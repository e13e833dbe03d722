//! Whether the handler's reserved concurrency fits the account, checked before
//! the change set: Lambda refuses a reservation that leaves the account fewer
//! unreserved executions than its minimum, and the create would roll back after
//! the build and upload.

use anyhow::{Result, bail};
use aws_sdk_lambda::Client;
use aws_sdk_lambda::error::ProvideErrorMetadata;

/// Unreserved executions Lambda keeps for functions without a reservation: "You
/// can reserve up to the Unreserved account concurrency value that is shown,
/// minus 100" (Lambda developer guide). Accounts with lower limits may report a
/// lower minimum in the error; assuming 100 only ever skips a reservation that
/// might have fitted.
pub(crate) const MIN_UNRESERVED: i64 = 100;

/// The reserved concurrency the configuration asks for, and who chose it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// trailwatch's default: dropped, with a warning, when the account has no room.
    Default(u32),
    /// Set in trailwatch.toml or by flag: refused when the account has no room.
    Configured(u32),
}

impl Reservation {
    /// The executions asked for.
    pub(crate) fn executions(self) -> u32 {
        match self {
            Self::Default(n) | Self::Configured(n) => n,
        }
    }
}

/// The account's concurrency, as `GetAccountSettings` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Account {
    pub limit: i64,
    pub unreserved: i64,
}

/// The executions to reserve (0: none): the reservation when it fits beside
/// `current`, what the deployed function already reserves (returned to the pool
/// by the update); else 0 for the default, with a warning, and an error naming
/// the figures for a configured one.
pub(crate) fn fit(wanted: Reservation, account: Account, current: i64) -> Result<u32> {
    let room = account.unreserved + current - MIN_UNRESERVED;
    let executions = wanted.executions();
    if i64::from(executions) <= room {
        return Ok(executions);
    }
    let figures = format!(
        "the account's concurrency limit is {}, {} unreserved{}, and Lambda keeps at least {MIN_UNRESERVED} unreserved",
        account.limit,
        account.unreserved,
        if current > 0 {
            format!(" (plus {current} this function reserves now)")
        } else {
            String::new()
        }
    );
    match wanted {
        Reservation::Default(_) => {
            eprintln!(
                "WARNING: deploying the handler without reserved concurrency: {figures}, so the default reservation of {executions} does not fit. Alerts still flow from the shared pool; ask AWS for a higher limit (Service Quotas: Lambda concurrent executions) to reserve it"
            );
            Ok(0)
        }
        Reservation::Configured(_) => bail!(
            "reserved_concurrency = {executions} does not fit this account: {figures}. Set a smaller reserved_concurrency, remove it (trailwatch then deploys without a reservation), or ask AWS for a higher limit (Service Quotas: Lambda concurrent executions)"
        ),
    }
}

/// The reservation to deploy, after asking Lambda for the account's figures and
/// what `function` (the deployed handler, if any) reserves now. When Lambda
/// cannot be asked, the reservation is deployed as configured, with a warning.
pub async fn reservation(
    lambda: &Client,
    function: Option<&str>,
    wanted: Reservation,
) -> Result<u32> {
    let settings = match lambda.get_account_settings().send().await {
        Ok(settings) => settings,
        Err(error) => {
            let reason = match error.code() {
                Some(code) => format!("{code}: {}", error.message().unwrap_or_default()),
                None => "no answer it could read".to_owned(),
            };
            eprintln!(
                "WARNING: could not read the account's Lambda concurrency (GetAccountSettings: {reason}); deploying with reserved concurrency {}",
                wanted.executions()
            );
            return Ok(wanted.executions());
        }
    };
    let Some(limit) = settings.account_limit() else {
        return Ok(wanted.executions());
    };
    let account = Account {
        limit: i64::from(limit.concurrent_executions()),
        unreserved: limit
            .unreserved_concurrent_executions()
            .map_or(0, i64::from),
    };
    let current = match function {
        Some(function) => lambda
            .get_function_concurrency()
            .function_name(function)
            .send()
            .await
            .ok()
            .and_then(|c| c.reserved_concurrent_executions())
            .map_or(0, i64::from),
        None => 0,
    };
    fit(wanted, account, current)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEW_ACCOUNT: Account = Account {
        limit: 10,
        unreserved: 10,
    };
    const DEFAULT_ACCOUNT: Account = Account {
        limit: 1000,
        unreserved: 1000,
    };

    #[test]
    fn the_default_reservation_is_dropped_in_an_account_with_a_limit_of_10() {
        assert_eq!(
            fit(Reservation::Default(5), NEW_ACCOUNT, 0).expect("deploys"),
            0
        );
    }

    #[test]
    fn a_configured_reservation_that_does_not_fit_is_refused_with_the_figures() {
        let error = fit(Reservation::Configured(5), NEW_ACCOUNT, 0).expect_err("refused");
        assert!(
            error.to_string().starts_with("reserved_concurrency = 5 does not fit this account: the account's concurrency limit is 10, 10 unreserved, and Lambda keeps at least 100 unreserved."),
            "{error}"
        );
    }

    #[test]
    fn a_reservation_fits_up_to_the_unreserved_minus_100() {
        let account = Account {
            limit: 1000,
            unreserved: 105,
        };
        assert_eq!(
            fit(Reservation::Configured(5), account, 0).expect("fits"),
            5
        );
        assert!(fit(Reservation::Configured(6), account, 0).is_err());
        assert_eq!(
            fit(Reservation::Default(5), DEFAULT_ACCOUNT, 0).expect("fits"),
            5
        );
    }

    #[test]
    fn what_the_function_reserves_now_counts_as_room_for_its_update() {
        let account = Account {
            limit: 1000,
            unreserved: 100,
        };
        assert_eq!(
            fit(Reservation::Configured(5), account, 5).expect("fits"),
            5
        );
    }
}
