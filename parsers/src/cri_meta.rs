//! The metadata containerd prints with `%+v` in its CRI messages (docs/formats.md#containerd-metadata):
//! - containerd 1.6/1.7 (gogo protobuf `String()`):
//!   `&PodSandboxMetadata{Name:multiple,Uid:ecf6…,Namespace:default,Attempt:0,}`,
//!   `&ContainerMetadata{Name:nginx,Attempt:0,}`;
//! - containerd 2.x (Google protobuf text format): `name:"etcd-node1"  uid:"fa1e…"
//!   namespace:"kube-system"`, `attempt:N` omitted when zero, one *or two* spaces between fields
//!   (the protobuf library randomises it on purpose).
//!
//! A small grammar with alternatives, so nom is used here.

use nom::{
    IResult, Parser,
    branch::alt,
    bytes::complete::{escaped, take_while, take_while1},
    character::complete::{char, digit1, none_of, one_of, space0, space1},
    combinator::{map, map_res, opt},
    multi::separated_list1,
    sequence::{delimited, preceded, separated_pair, terminated},
};

/// Pod sandbox or container metadata, whichever fields were present.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meta<'a> {
    pub name: Option<&'a str>,
    pub uid: Option<&'a str>,
    pub namespace: Option<&'a str>,
    pub attempt: u32,
}

fn gogo_field(i: &str) -> IResult<&str, (&str, &str)> {
    separated_pair(
        take_while1(|c: char| c.is_ascii_alphanumeric()),
        char(':'),
        take_while(|c: char| c != ',' && c != '}'),
    )
    .parse(i)
}

/// `&PodSandboxMetadata{Name:…,Uid:…,Namespace:…,Attempt:0,}`; returns the remaining input.
fn gogo(i: &str) -> IResult<&str, Meta<'_>> {
    let (i, _) = (
        char('&'),
        take_while1(|c: char| c.is_ascii_alphanumeric()),
        char('{'),
    )
        .parse(i)?;
    let (i, fields) = terminated(
        nom::multi::many0(terminated(gogo_field, char(','))),
        char('}'),
    )
    .parse(i)?;
    let mut m = Meta::default();
    for (k, v) in fields {
        match k {
            "Name" => m.name = Some(v),
            "Uid" => m.uid = Some(v),
            "Namespace" => m.namespace = Some(v),
            "Attempt" => m.attempt = v.parse().unwrap_or(0),
            _ => {}
        }
    }
    Ok((i, m))
}

fn quoted_inner(i: &str) -> IResult<&str, &str> {
    delimited(
        char('"'),
        map(
            opt(escaped(
                none_of("\\\""),
                '\\',
                one_of("\"\\ntrabfvxuU01234567"),
            )),
            |o| o.unwrap_or(""),
        ),
        char('"'),
    )
    .parse(i)
}

enum PbVal<'a> {
    Str(&'a str),
    Num(u32),
}

fn pb_field(i: &str) -> IResult<&str, (&str, PbVal<'_>)> {
    separated_pair(
        take_while1(|c: char| c.is_ascii_lowercase() || c == '_'),
        char(':'),
        alt((
            map(quoted_inner, PbVal::Str),
            map_res(digit1, |d: &str| d.parse().map(PbVal::Num)),
        )),
    )
    .parse(i)
}

/// `name:"x"  uid:"y"  namespace:"z" attempt:1`.
fn protobuf_text(i: &str) -> IResult<&str, Meta<'_>> {
    let (i, fields) = separated_list1(space1, pb_field).parse(i)?;
    let mut m = Meta::default();
    for (k, v) in fields {
        match (k, v) {
            ("name", PbVal::Str(s)) => m.name = Some(s),
            ("uid", PbVal::Str(s)) => m.uid = Some(s),
            ("namespace", PbVal::Str(s)) => m.namespace = Some(s),
            ("attempt", PbVal::Num(n)) => m.attempt = n,
            _ => {}
        }
    }
    Ok((i, m))
}

/// Parses metadata at the start of `i` in either rendering; returns it and the rest of the
/// input (leading spaces of the rest trimmed).
pub fn parse(i: &str) -> Option<(Meta<'_>, &str)> {
    let (rest, m) = preceded(space0, alt((gogo, protobuf_text))).parse(i).ok()?;
    Some((m, rest.trim_start_matches(' ')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gogo_sandbox_and_container() {
        let (m, rest) = parse("&PodSandboxMetadata{Name:multiple,Uid:ecf6beca-4e57-4562-8f89-b6e72312b3fd,Namespace:default,Attempt:0,} returns sandbox id \"97\"").unwrap();
        assert_eq!(m.name, Some("multiple"));
        assert_eq!(m.uid, Some("ecf6beca-4e57-4562-8f89-b6e72312b3fd"));
        assert_eq!(m.namespace, Some("default"));
        assert_eq!(m.attempt, 0);
        assert_eq!(rest, "returns sandbox id \"97\"");
        let (m, rest) = parse("&ContainerMetadata{Name:nginx,Attempt:2,}").unwrap();
        assert_eq!((m.name, m.attempt, rest), (Some("nginx"), 2, ""));
    }

    #[test]
    fn protobuf_text_with_random_spacing() {
        let (m, rest) = parse(r#"name:"kube-proxy-node1"  uid:"a4cb"  namespace:"kube-system" returns sandbox id "763d""#).unwrap();
        assert_eq!(m.name, Some("kube-proxy-node1"));
        assert_eq!(m.uid, Some("a4cb"));
        assert_eq!(m.namespace, Some("kube-system"));
        assert_eq!(m.attempt, 0);
        assert_eq!(rest, r#"returns sandbox id "763d""#);
        let (m, rest) = parse(r#"name:"c" attempt:3"#).unwrap();
        assert_eq!((m.name, m.attempt, rest), (Some("c"), 3, ""));
        assert!(parse("garbage").is_none());
    }
}
