"""Knowledge-layer tables declared in the catalogue whose writer is not built yet (the embeddings step):
shown in the catalog as external assets so analysts see every table, with its schema, from day one."""

from assets.specs import asset_spec
from osa import catalog

KNOWLEDGE_SPECS = [asset_spec(table) for table in catalog.tables(step="embeddings")]
