"""The API's Lambda REQUEST authorizer: verifies the JWT once and hands its claims on.

It imports no resolver and no table client: it runs before every request, so its cold
start is kept near the bare boto3 floor.
"""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from planhub.auth import authorizer
from planhub.auth.tokens import TokenVerifier
from planhub.errors import Unauthenticated
from planhub.observability import logger, metrics
from planhub.settings import AuthEnvironment

verifier = TokenVerifier(AuthEnvironment.load())


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics  # flushed even when the handler raises
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        claims = verifier.verify(authorizer.token_from_request(event))
    except Unauthenticated as refusal:
        logger.info("token refused", extra={"reason": refusal.message, "resource": event.get("resource")})
        if authorizer.is_go1_route(event):
            return authorizer.deny(event["methodArn"])
        # API Gateway answers 401 only to this error (a Deny is a 403): it counts as a Lambda
        # error, so each one is counted as a refusal first (AuthorizerErrorsAlarm subtracts them).
        metrics.add_metric(name=authorizer.REFUSALS_METRIC, unit=MetricUnit.Count, value=1)
        raise Exception(authorizer.UNAUTHORIZED) from refusal
    logger.append_keys(caller=claims.sub)
    return authorizer.allow(claims, event["methodArn"], usage_identifier=authorizer.api_key_of(event))
