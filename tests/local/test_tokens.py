"""Token verification: HS256 locally, RS256 against a JWKS in production; never `alg: none`."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from planhub.auth.tokens import TokenVerifier
from planhub.errors import Unauthenticated
from planhub.settings import AuthEnvironment

PRIVATE_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
CLAIMS = {"sub": "u-1", "roles": {"p-acme": ["learner"]}}


class OneKeyJwks:
    """Stands in for PyJWKClient: the JWKS holds our public key under kid "k1"."""

    def get_signing_key_from_jwt(self, token: str) -> Any:
        assert jwt.get_unverified_header(token)["kid"] == "k1"
        return jwt.PyJWK.from_dict(jwt.algorithms.RSAAlgorithm.to_jwk(PRIVATE_KEY.public_key(), as_dict=True))


def jwks_verifier() -> TokenVerifier:
    verifier = TokenVerifier(AuthEnvironment(JWKS_URL="https://issuer.example.com/.well-known/jwks.json"))
    verifier.__dict__["_jwks"] = OneKeyJwks()
    return verifier


def rs256(claims: dict[str, Any]) -> str:
    return jwt.encode(claims, PRIVATE_KEY, algorithm="RS256", headers={"kid": "k1"})


def test_an_rs256_token_signed_by_the_jwks_key_is_accepted() -> None:
    claims = jwks_verifier().verify(rs256({**CLAIMS, "exp": int(time.time()) + 60}))

    assert claims.sub == "u-1"


def test_an_expired_rs256_token_is_refused() -> None:
    with pytest.raises(Unauthenticated, match="expired"):
        jwks_verifier().verify(rs256({**CLAIMS, "exp": int(time.time()) - 1}))


def test_an_hs256_token_is_refused_when_the_jwks_is_the_authority() -> None:
    # Algorithm confusion: a token HMAC-signed with something public must not pass as RS256.
    forged = jwt.encode({**CLAIMS, "exp": int(time.time()) + 60}, "x" * 32, algorithm="HS256", headers={"kid": "k1"})

    with pytest.raises(Unauthenticated):
        jwks_verifier().verify(forged)


def test_an_unsigned_token_is_refused_with_the_shared_secret_too() -> None:
    verifier = TokenVerifier(AuthEnvironment(JWT_SECRET="s" * 32))
    unsigned = jwt.encode({**CLAIMS, "exp": int(time.time()) + 60}, key=None, algorithm="none")

    with pytest.raises(Unauthenticated):
        verifier.verify(unsigned)


def test_a_secret_shorter_than_32_bytes_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="JWT_SECRET"):
        AuthEnvironment.model_validate({"JWT_SECRET": "short"})
