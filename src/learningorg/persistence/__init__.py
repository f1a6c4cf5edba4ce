"""The persistence layer: store URLs, the pydantic mapper, learningorg's own SQL tables."""

from learningorg.persistence.database import Database, open_database
from learningorg.persistence.mapper import PydanticMapper
from learningorg.persistence.stores import StoreConfig, parse_store_url

__all__ = ["Database", "PydanticMapper", "StoreConfig", "open_database", "parse_store_url"]
