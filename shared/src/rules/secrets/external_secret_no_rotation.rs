//! `external-secret-no-rotation`: an ExternalSecret should refresh its Secret at least
//! daily.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// An `ExternalSecret` (group `external-secrets.io`, any version) refreshes its Secret
    /// from the store at least every 24 hours: `spec.refreshInterval` must be set, and be a
    /// Go duration (`1h`, `30m`, `1h30m`, `24h`) above zero and at most `24h`. A missing
    /// interval fails even though the operator defaults it to `1h`: the manifest should say
    /// how often it rotates. `0`, `0s` and negative durations turn refreshing off and fail;
    /// so does a value Go cannot parse (`1d` — Go durations have no days; write `24h`), as
    /// the operator would reject it. A `spec.refreshPolicy` of `CreatedOnce` or `OnChange`
    /// fails whatever the interval, since neither refreshes periodically.
    ///
    /// ## Why it matters
    /// Rotating a credential in the secret store only helps once every copy is replaced.
    /// An ExternalSecret that never refreshes — or refreshes weekly — keeps serving the old
    /// value to pods after it was rotated or revoked, so a leaked credential stays valid
    /// in the cluster and a revoked one breaks the application at an unexpected moment.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: external-secrets.io/v1beta1
    /// kind: ExternalSecret
    /// metadata:
    ///   name: db-secret
    /// spec:
    ///   refreshInterval: 168h
    ///   secretStoreRef:
    ///     name: aws-secrets-manager
    ///     kind: SecretStore
    ///   target:
    ///     name: db-secret
    ///   data:
    ///   - secretKey: password
    ///     remoteRef:
    ///       key: prod/database/password
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: external-secrets.io/v1beta1
    /// kind: ExternalSecret
    /// metadata:
    ///   name: db-secret
    /// spec:
    ///   refreshInterval: 1h
    ///   secretStoreRef:
    ///     name: aws-secrets-manager
    ///     kind: SecretStore
    ///   target:
    ///     name: db-secret
    ///   data:
    ///   - secretKey: password
    ///     remoteRef:
    ///       key: prod/database/password
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 5 (secrets management): "Rotate Secrets Regularly"
    /// - CIS Kubernetes Benchmark 5.4.2 (consider external secret storage)
    pub static RULE = Rule {
        id: "external-secret-no-rotation",
        title: "ExternalSecret without rotation",
        severity: Severity::Low,
        family: Family::Secrets,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(5),
        cis: Some("5.4.2"),
        remediation: "Set `spec.refreshInterval` to a Go duration of at most 24h, such as `1h`.",
        check,
    };
}

const NANOSECONDS_PER_HOUR: i128 = 3_600_000_000_000;

/// The longest refresh interval that passes.
const LONGEST_INTERVAL: i128 = 24 * NANOSECONDS_PER_HOUR;

/// Parses a duration the way Go's `time.ParseDuration` does (which is how the operator
/// reads `refreshInterval`): an optional sign, then one or more decimal numbers each with
/// a unit (`ns`, `us`/`µs`, `ms`, `s`, `m`, `h`), or a bare `0`. Returns nanoseconds, or
/// the reason the text is not a duration.
pub fn parse_go_duration(text: &str) -> Result<i128, String> {
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err("it is empty".to_string());
    }
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let integer_length = rest.bytes().take_while(u8::is_ascii_digit).count();
        let integer_digits = &rest[..integer_length];
        rest = &rest[integer_length..];
        let mut fraction_digits = "";
        if let Some(after_point) = rest.strip_prefix('.') {
            let fraction_length = after_point.bytes().take_while(u8::is_ascii_digit).count();
            fraction_digits = &after_point[..fraction_length];
            rest = &after_point[fraction_length..];
        }
        if integer_digits.is_empty() && fraction_digits.is_empty() {
            return Err("a number is expected before each unit".to_string());
        }
        let unit_length =
            rest.find(|character: char| character == '.' || character.is_ascii_digit()).unwrap_or(rest.len());
        let unit = &rest[..unit_length];
        rest = &rest[unit_length..];
        let nanoseconds_per_unit: i128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => NANOSECONDS_PER_HOUR,
            "" => return Err("a unit is missing (use h, m or s)".to_string()),
            other => return Err(format!("\"{other}\" is not a unit (use h, m or s)")),
        };
        // Beyond about 9.2e18 nanoseconds (292 years) Go reports an overflow; capping the
        // digits read keeps the arithmetic in range before that check.
        if integer_digits.len() > 20 {
            return Err("it is out of range".to_string());
        }
        let integer: i128 =
            if integer_digits.is_empty() { 0 } else { integer_digits.parse().map_err(|_| "it is out of range")? };
        let fraction_digits = &fraction_digits[..fraction_digits.len().min(18)];
        let fraction: i128 = if fraction_digits.is_empty() { 0 } else { fraction_digits.parse().unwrap_or(0) };
        let scale = 10_i128.pow(fraction_digits.len() as u32);
        total += integer * nanoseconds_per_unit + fraction * nanoseconds_per_unit / scale;
        if total > i128::from(i64::MAX) {
            return Err("it is out of range".to_string());
        }
    }
    Ok(if negative { -total } else { total })
}

/// Why a `refreshInterval` fails, or `None` when it refreshes at least daily.
fn interval_problem(text: &str) -> Option<String> {
    match parse_go_duration(text) {
        Err(reason) => {
            Some(format!("refreshInterval \"{text}\" is not a Go duration: {reason}; write it like 1h or 24h"))
        }
        Ok(nanoseconds) if nanoseconds <= 0 => Some(format!("refreshInterval \"{text}\" turns refreshing off")),
        Ok(nanoseconds) if nanoseconds > LONGEST_INTERVAL => {
            Some(format!("refreshInterval \"{text}\" is longer than 24h"))
        }
        Ok(_) => None,
    }
}

fn check(_cx: &Cx<'_>, object: &Object) -> Outcome {
    if !object.is("external-secrets.io", "ExternalSecret") {
        return Outcome::NotApplicable;
    }
    let spec = object.root.field("spec");
    let mut violations = Vec::new();
    match spec.field("refreshPolicy").as_str() {
        Some("CreatedOnce") => violations.push(Violation::new(
            "spec.refreshPolicy",
            "refreshPolicy CreatedOnce never refreshes the Secret from the store",
        )),
        Some("OnChange") => violations.push(Violation::new(
            "spec.refreshPolicy",
            "refreshPolicy OnChange refreshes the Secret only when the ExternalSecret itself changes",
        )),
        _ => {}
    }
    if !violations.is_empty() {
        return Outcome::Checked(violations);
    }
    let problem = match spec.field("refreshInterval").as_text() {
        None => Some("the ExternalSecret sets no refreshInterval; the operator's default of 1h applies, but the manifest should say how often it rotates".to_string()),
        Some(text) => interval_problem(&text),
    };
    Outcome::Checked(problem.map(|message| Violation::new("spec.refreshInterval", message)).into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: i128 = 1_000_000_000;

    #[test]
    fn go_durations_parse() {
        assert_eq!(parse_go_duration("0"), Ok(0));
        assert_eq!(parse_go_duration("0s"), Ok(0));
        assert_eq!(parse_go_duration("90m"), Ok(90 * 60 * SECOND));
        assert_eq!(parse_go_duration("1h30m"), Ok(5400 * SECOND));
        assert_eq!(parse_go_duration("1h0m0s"), Ok(3600 * SECOND));
        assert_eq!(parse_go_duration("1.5h"), Ok(5400 * SECOND));
        assert_eq!(parse_go_duration(".5s"), Ok(SECOND / 2));
        assert_eq!(parse_go_duration("300ms"), Ok(3 * SECOND / 10));
        assert_eq!(parse_go_duration("2µs"), Ok(2_000));
        assert_eq!(parse_go_duration("-1h"), Ok(-3600 * SECOND));
        assert_eq!(parse_go_duration("24h"), Ok(LONGEST_INTERVAL));
    }

    #[test]
    fn invalid_go_durations_say_why() {
        assert_eq!(parse_go_duration("1d"), Err("\"d\" is not a unit (use h, m or s)".to_string()));
        assert_eq!(parse_go_duration("60"), Err("a unit is missing (use h, m or s)".to_string()));
        assert!(parse_go_duration("").is_err());
        assert!(parse_go_duration("h").is_err());
        assert!(parse_go_duration("1h 30m").is_err());
        assert!(parse_go_duration("3000000h").is_err(), "beyond Go's 292 years");
        assert!(parse_go_duration("99999999999999999999999h").is_err());
    }

    #[test]
    fn intervals_longer_than_a_day_or_off_fail() {
        assert_eq!(interval_problem("1h"), None);
        assert_eq!(interval_problem("24h"), None);
        assert_eq!(interval_problem("23h59m60s"), None);
        assert!(interval_problem("24h1s").is_some());
        assert!(interval_problem("168h").is_some());
        assert!(interval_problem("0").is_some());
        assert!(interval_problem("0s").is_some());
        assert!(interval_problem("1d").unwrap().contains("not a Go duration"));
    }
}
