//! Go's `netip.ParseAddr` and `netip.ParsePrefix`, with their error messages: the IP and
//! CIDR libraries of the API server report them word for word.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::k8s_format::go_quote;

/// A parsed address and whether it carried a zone (`fe80::1%eth0`).
pub struct Parsed {
    pub address: IpAddr,
    pub zone: bool,
}

fn addr_error(input: &str, message: &str, at: Option<&str>) -> String {
    match at {
        Some(at) if !at.is_empty() => {
            format!("ParseAddr({}): {message} (at {})", go_quote(input), go_quote(at))
        }
        _ => format!("ParseAddr({}): {message}", go_quote(input)),
    }
}

pub fn parse_addr(input: &str) -> Result<Parsed, String> {
    for byte in input.bytes() {
        match byte {
            b'.' => return parse_ipv4(input).map(|v4| Parsed { address: IpAddr::V4(v4), zone: false }),
            b':' => return parse_ipv6(input),
            b'%' => return Err(addr_error(input, "missing IPv6 address", None)),
            _ => {}
        }
    }
    Err(addr_error(input, "unable to parse IP", None))
}

fn parse_ipv4(input: &str) -> Result<Ipv4Addr, String> {
    let mut fields = [0u8; 4];
    parse_ipv4_fields(input, input, &mut fields)?;
    Ok(Ipv4Addr::from(fields))
}

/// The dotted quad `part` of `input` (all of it, or the tail of an IPv6 address).
fn parse_ipv4_fields(input: &str, part: &str, fields: &mut [u8; 4]) -> Result<(), String> {
    let bytes = part.as_bytes();
    let (mut value, mut position, mut digits) = (0u32, 0usize, 0usize);
    for (index, &byte) in bytes.iter().enumerate() {
        if byte.is_ascii_digit() {
            if digits == 1 && value == 0 {
                return Err(addr_error(input, "IPv4 field has octet with leading zero", None));
            }
            value = value * 10 + u32::from(byte - b'0');
            digits += 1;
            if value > 255 {
                return Err(addr_error(input, "IPv4 field has value >255", None));
            }
        } else if byte == b'.' {
            if index == 0 || index == bytes.len() - 1 || bytes[index - 1] == b'.' {
                return Err(addr_error(input, "IPv4 field must have at least one digit", Some(&part[index..])));
            }
            if position == 3 {
                return Err(addr_error(input, "IPv4 address too long", None));
            }
            fields[position] = value as u8;
            position += 1;
            value = 0;
            digits = 0;
        } else {
            return Err(addr_error(input, "unexpected character", Some(part.get(index..).unwrap_or(""))));
        }
    }
    if position < 3 {
        return Err(addr_error(input, "IPv4 address too short", None));
    }
    fields[3] = value as u8;
    Ok(())
}

fn parse_ipv6(input: &str) -> Result<Parsed, String> {
    let (mut rest, zone) = match input.split_once('%') {
        Some((_, "")) => return Err(addr_error(input, "zone must be a non-empty string", None)),
        Some((address, _)) => (address, true),
        None => (input, false),
    };
    let mut ip = [0u8; 16];
    let mut ellipsis: Option<usize> = None;
    if rest.starts_with("::") {
        ellipsis = Some(0);
        rest = &rest[2..];
        if rest.is_empty() {
            return Ok(Parsed { address: IpAddr::V6(Ipv6Addr::UNSPECIFIED), zone });
        }
    }
    let mut index = 0;
    while index < 16 {
        let bytes = rest.as_bytes();
        let mut offset = 0;
        let mut accumulated: u32 = 0;
        while offset < bytes.len() {
            let digit = match bytes[offset] {
                byte @ b'0'..=b'9' => byte - b'0',
                byte @ b'a'..=b'f' => byte - b'a' + 10,
                byte @ b'A'..=b'F' => byte - b'A' + 10,
                _ => break,
            };
            accumulated = (accumulated << 4) + u32::from(digit);
            if offset > 3 {
                return Err(addr_error(input, "each group must have 4 or less digits", Some(rest)));
            }
            if accumulated > 0xffff {
                return Err(addr_error(input, "IPv6 field has value >=2^16", Some(rest)));
            }
            offset += 1;
        }
        if offset == 0 {
            return Err(addr_error(input, "each colon-separated field must have at least one digit", Some(rest)));
        }
        if bytes.get(offset) == Some(&b'.') {
            if ellipsis.is_none() && index != 12 {
                return Err(addr_error(
                    input,
                    "embedded IPv4 address must replace the final 2 fields of the address",
                    Some(rest),
                ));
            }
            if index + 4 > 16 {
                return Err(addr_error(
                    input,
                    "too many hex fields to fit an embedded IPv4 at the end of the address",
                    Some(rest),
                ));
            }
            let mut fields = [0u8; 4];
            parse_ipv4_fields(input, rest, &mut fields)?;
            ip[index..index + 4].copy_from_slice(&fields);
            rest = "";
            index += 4;
            break;
        }
        ip[index] = (accumulated >> 8) as u8;
        ip[index + 1] = accumulated as u8;
        index += 2;
        rest = &rest[offset..];
        if rest.is_empty() {
            break;
        }
        if !rest.starts_with(':') {
            return Err(addr_error(input, "unexpected character, want colon", Some(rest)));
        }
        if rest.len() == 1 {
            return Err(addr_error(input, "colon must be followed by more characters", Some(rest)));
        }
        rest = &rest[1..];
        if rest.starts_with(':') {
            if ellipsis.is_some() {
                return Err(addr_error(input, "multiple :: in address", Some(rest)));
            }
            ellipsis = Some(index);
            rest = &rest[1..];
            if rest.is_empty() {
                break;
            }
        }
    }
    if !rest.is_empty() {
        return Err(addr_error(input, "trailing garbage after address", Some(rest)));
    }
    if index < 16 {
        let Some(at) = ellipsis else {
            return Err(addr_error(input, "address string too short", None));
        };
        let shift = 16 - index;
        ip.copy_within(at..index, at + shift);
        ip[at..at + shift].fill(0);
    } else if ellipsis.is_some() {
        return Err(addr_error(input, "the :: must expand to at least one field of zeros", Some(rest)));
    }
    Ok(Parsed { address: IpAddr::V6(Ipv6Addr::from(ip)), zone })
}

/// Go's `netip.ParsePrefix`: the address (not masked) and the prefix length.
pub fn parse_prefix(input: &str) -> Result<(IpAddr, u8), String> {
    let error = |message: &str| format!("netip.ParsePrefix({}): {message}", go_quote(input));
    let Some(slash) = input.rfind('/') else {
        return Err(error("no '/'"));
    };
    let parsed = parse_addr(&input[..slash]).map_err(|message| error(&message))?;
    if parsed.zone && parsed.address.is_ipv6() {
        return Err(error("IPv6 zones cannot be present in a prefix"));
    }
    let bits_text = &input[slash + 1..];
    let bad_bits = || error(&format!("bad bits after slash: {}", go_quote(bits_text)));
    if bits_text.len() > 1 && !matches!(bits_text.as_bytes()[0], b'1'..=b'9') {
        return Err(bad_bits());
    }
    let bits: i64 = bits_text.parse().map_err(|_| bad_bits())?;
    let max = if parsed.address.is_ipv4() { 32 } else { 128 };
    if !(0..=max).contains(&bits) {
        return Err(error("prefix length out of range"));
    }
    Ok((parsed.address, bits as u8))
}
