"""A learning object (LO): a container (pathway, course, module) or an item, in its portal or the marketplace."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from planhub.records.price import Price
from planhub.storage import keys
from planhub.storage.entity import Entity
from planhub.storage.keys import Key


class LoType(StrEnum):
    LEARNING_PATHWAY = "learning_pathway"
    COURSE = "course"
    MODULE = "module"
    TEXT = "text"
    RESOURCE = "resource"
    IFRAME = "iframe"
    LINK = "link"
    VIDEO = "video"
    DOCUMENT = "document"
    QUIZ = "quiz"
    SCORM = "scorm"
    TINCAN = "tincan"
    ASSIGNMENT = "assignment"
    INTERACTIVE = "interactive"


CONTAINER_TYPES = frozenset({LoType.LEARNING_PATHWAY, LoType.COURSE, LoType.MODULE})
SIMPLE_ITEM_TYPES = frozenset({LoType.TEXT, LoType.RESOURCE, LoType.IFRAME, LoType.LINK, LoType.VIDEO, LoType.DOCUMENT})
COMPLEX_ITEM_TYPES = frozenset({LoType.QUIZ, LoType.SCORM, LoType.TINCAN, LoType.ASSIGNMENT, LoType.INTERACTIVE})


class LearningObject(Entity):
    entity_type: ClassVar[str] = "learning_object"

    id: str
    portal: str
    type: LoType
    title: str
    children: list[str] = Field(default_factory=list)
    assessors: list[str] = Field(default_factory=list)
    price: Price | None = None
    marketplace: bool = False

    def keys(self) -> Key:
        return keys.learning_object(self.id)

    @property
    def is_container(self) -> bool:
        return self.type in CONTAINER_TYPES

    @property
    def is_simple_item(self) -> bool:
        return self.type in SIMPLE_ITEM_TYPES

    def available_in(self, portal_id: str) -> bool:
        """An LO belongs to its portal; marketplace LOs are available in every portal."""
        return self.portal == portal_id or self.marketplace
