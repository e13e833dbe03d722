//! Account names from AWS Organizations for alerts, looked up once per
//! account and execution environment. A lookup that fails or is not allowed
//! never delays an alert for long nor stops it: the alert names the id alone.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Longest wait for one lookup.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(2);
/// Most accounts remembered (an organization holds at most a few thousand).
const CAPACITY: usize = 10_000;

/// Account id to name, for the accounts of the organization.
#[derive(Debug, Default)]
pub struct AccountNames {
    organizations: Option<aws_sdk_organizations::Client>,
    known: Mutex<HashMap<String, Option<String>>>,
}

impl AccountNames {
    /// Names looked up with `organizations:DescribeAccount` (allowed in the
    /// management account and for a delegated administrator).
    pub fn from_organizations(client: aws_sdk_organizations::Client) -> Self {
        Self {
            organizations: Some(client),
            known: Mutex::default(),
        }
    }

    /// The name of `account`, when it can be known.
    pub async fn name(&self, account: &str) -> Option<String> {
        let client = self.organizations.as_ref()?;
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if let Some(known) = self.lock().get(account) {
            return known.clone();
        }
        let request = client.describe_account().account_id(account).send();
        let name = match tokio::time::timeout(LOOKUP_TIMEOUT, request).await {
            Ok(Ok(output)) => output.account().and_then(|a| a.name()).map(str::to_owned),
            // Denied or unknown: the answer will not change, remember it.
            Ok(Err(error)) if error.as_service_error().is_some() => {
                tracing::warn!(account, error = %aws_sdk_organizations::error::DisplayErrorContext(&error), "account name not available");
                None
            }
            // Network trouble or timeout: try again next time.
            Ok(Err(_)) | Err(_) => return None,
        };
        let mut known = self.lock();
        if known.len() < CAPACITY {
            known.insert(account.to_owned(), name.clone());
        }
        name
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Option<String>>> {
        crate::lock(&self.known)
    }
}
