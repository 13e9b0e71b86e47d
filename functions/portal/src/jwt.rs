//! RS256 JSON Web Tokens: the embedded identity provider signs them, and the local run
//! verifies every token as API Gateway's JWT authorizer does (signature from the JWKS,
//! issuer, client id, expiry), for its own tokens and for Cognito's alike.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, KeyPair, RsaKeyPair, RsaPublicKeyComponents};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Jwk {
    pub kid: String,
    pub kty: String,
    pub alg: String,
    #[serde(rename = "use", default)]
    pub use_: Option<String>,
    pub n: String,
    pub e: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

pub struct Signer {
    kid: String,
    key: RsaKeyPair,
}

impl Signer {
    /// From a PKCS#8 DER private key.
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, String> {
        let key = RsaKeyPair::from_pkcs8(der).map_err(|e| format!("bad signing key: {e}"))?;
        let kid = crate::store::sha256_hex(key.public_key().as_ref())[..16].to_owned();
        Ok(Signer { kid, key })
    }

    /// A new 2048-bit key as PKCS#8 DER.
    pub fn generate_pkcs8() -> Result<Vec<u8>, String> {
        use aws_lc_rs::encoding::AsDer;
        let key = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).map_err(|_| "key generation failed".to_string())?;
        key.as_der().map(|d| d.as_ref().to_vec()).map_err(|_| "key encoding failed".into())
    }

    pub fn sign(&self, claims: &Value) -> Result<String, String> {
        let header = serde_json::json!({ "alg": "RS256", "kid": self.kid, "typ": "JWT" });
        let msg = format!("{}.{}", B64.encode(header.to_string()), B64.encode(claims.to_string()));
        let mut sig = vec![0u8; self.key.public_modulus_len()];
        self.key.sign(&signature::RSA_PKCS1_SHA256, &SystemRandom::new(), msg.as_bytes(), &mut sig).map_err(|_| "signing failed".to_string())?;
        Ok(format!("{msg}.{}", B64.encode(sig)))
    }

    pub fn jwks(&self) -> Jwks {
        let public = self.key.public_key();
        Jwks {
            keys: vec![Jwk {
                kid: self.kid.clone(),
                kty: "RSA".into(),
                alg: "RS256".into(),
                use_: Some("sig".into()),
                n: B64.encode(public.modulus().big_endian_without_leading_zero()),
                e: B64.encode(public.exponent().big_endian_without_leading_zero()),
            }],
        }
    }
}

/// Checks tokens like API Gateway's JWT authorizer configured with `issuer` and audience
/// `client_id` (Cognito access tokens carry it as `client_id`, ID tokens as `aud`).
pub struct Verifier {
    pub issuer: String,
    pub client_id: String,
    pub jwks: Jwks,
}

impl Verifier {
    pub fn verify(&self, token: &str, now: i64) -> Option<Map<String, Value>> {
        let mut parts = token.split('.');
        let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let header: Value = serde_json::from_slice(&B64.decode(h).ok()?).ok()?;
        if header.get("alg")?.as_str()? != "RS256" {
            return None;
        }
        let kid = header.get("kid")?.as_str()?;
        let jwk = self.jwks.keys.iter().find(|k| k.kid == kid && k.kty == "RSA")?;
        let n = B64.decode(&jwk.n).ok()?;
        let e = B64.decode(&jwk.e).ok()?;
        let sig = B64.decode(s).ok()?;
        RsaPublicKeyComponents { n: &n, e: &e }.verify(&signature::RSA_PKCS1_2048_8192_SHA256, format!("{h}.{p}").as_bytes(), &sig).ok()?;
        let claims: Map<String, Value> = serde_json::from_slice(&B64.decode(p).ok()?).ok()?;
        if claims.get("iss")?.as_str()? != self.issuer {
            return None;
        }
        let audience = claims.get("client_id").or_else(|| claims.get("aud"))?.as_str()?;
        if audience != self.client_id {
            return None;
        }
        if claims.get("exp")?.as_i64()? <= now {
            return None;
        }
        if claims.get("nbf").and_then(Value::as_i64).is_some_and(|nbf| nbf > now) {
            return None;
        }
        Some(claims)
    }
}

/// The claims as API Gateway hands them to a Lambda: every value a string, arrays as "[a b]".
pub fn authorizer_claims(claims: &Map<String, Value>) -> HashMap<String, String> {
    claims
        .iter()
        .map(|(k, v)| {
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Array(items) => format!(
                    "[{}]",
                    items.iter().map(|i| i.as_str().map(str::to_owned).unwrap_or_else(|| i.to_string())).collect::<Vec<_>>().join(" ")
                ),
                other => other.to_string(),
            };
            (k.clone(), s)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_then_verify_and_every_refusal() {
        let signer = Signer::from_pkcs8(&Signer::generate_pkcs8().unwrap()).unwrap();
        let v = Verifier { issuer: "iss".into(), client_id: "cid".into(), jwks: signer.jwks() };
        let claims = |iss: &str, cid: &str, exp: i64| serde_json::json!({"iss": iss, "client_id": cid, "exp": exp, "sub": "s", "cognito:groups": ["admin", "staff"]});
        let good = signer.sign(&claims("iss", "cid", 2000)).unwrap();
        let got = v.verify(&good, 1000).unwrap();
        assert_eq!(authorizer_claims(&got)["cognito:groups"], "[admin staff]");
        assert!(v.verify(&good, 2000).is_none(), "expired");
        assert!(v.verify(&signer.sign(&claims("other", "cid", 2000)).unwrap(), 1000).is_none(), "issuer");
        assert!(v.verify(&signer.sign(&claims("iss", "other", 2000)).unwrap(), 1000).is_none(), "client");
        let mut tampered = good.clone();
        tampered.pop();
        tampered.push(if good.ends_with('A') { 'B' } else { 'A' });
        assert!(v.verify(&tampered, 1000).is_none(), "signature");
        let other = Signer::from_pkcs8(&Signer::generate_pkcs8().unwrap()).unwrap();
        assert!(v.verify(&other.sign(&claims("iss", "cid", 2000)).unwrap(), 1000).is_none(), "unknown key");
        assert!(v.verify("a.b", 1000).is_none());
    }
}
