"""Token verification with pyjwt.

HS256 with a shared secret (JWT_SECRET locally, or from SSM in production), or RS256
against a JWKS. `alg: none`, a bad signature, a missing or past `exp` are all refused: the
accepted algorithms are fixed by configuration, never read from the token.
"""

from __future__ import annotations

import functools

import jwt
import jwt.types
from pydantic import ValidationError

from planhub.auth.claims import Claims
from planhub.errors import Unauthenticated
from planhub.settings import AuthEnvironment, parameter_name

_REQUIRED = ["exp", "sub"]


class TokenVerifier:
    def __init__(self, environment: AuthEnvironment) -> None:
        self._environment = environment

    @functools.cached_property
    def _secret(self) -> str:
        if self._environment.jwt_secret:
            return self._environment.jwt_secret
        if self._environment.jwt_secret_parameter:
            # Imported here so that JWKS and local deployments never load the parameters utility.
            from aws_lambda_powertools.utilities import parameters

            name = parameter_name(self._environment.jwt_secret_parameter)
            return str(parameters.get_parameter(name, decrypt=True, max_age=300))
        raise RuntimeError("configure JWT_SECRET, JWT_SECRET_PARAMETER or JWKS_URL")

    @functools.cached_property
    def _jwks(self) -> jwt.PyJWKClient:
        assert self._environment.jwks_url is not None
        return jwt.PyJWKClient(self._environment.jwks_url, cache_keys=True, lifespan=300)

    def verify(self, token: str | None) -> Claims:
        if not token:
            raise Unauthenticated("Missing token")
        options: jwt.types.Options = {"require": _REQUIRED}
        audience = self._environment.jwt_audience
        issuer = self._environment.jwt_issuer
        try:
            if self._environment.jwks_url:
                signing_key = self._jwks.get_signing_key_from_jwt(token).key
                payload = jwt.decode(
                    token, signing_key, algorithms=["RS256"], options=options, audience=audience, issuer=issuer
                )
            else:
                payload = jwt.decode(
                    token, self._secret, algorithms=["HS256"], options=options, audience=audience, issuer=issuer
                )
        except jwt.ExpiredSignatureError as error:
            raise Unauthenticated("Token has expired") from error
        except jwt.PyJWTError as error:
            raise Unauthenticated("Invalid token") from error
        try:
            return Claims.model_validate(payload)
        except ValidationError as error:
            raise Unauthenticated("Token claims are not valid") from error
