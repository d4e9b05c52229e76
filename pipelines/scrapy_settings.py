"""Scrapy settings for crawls that store what they find: spiders/settings.py plus the warehouse's side.

`hkipo crawl` and the crawl jobs load this module by name; scrapy.cfg names it
for `scrapy crawl` from the repository root. The spiders' own settings stay
in spiders/settings.py, which knows nothing of the warehouse.
"""

from spiders.settings import *  # noqa: F403 - this module is spiders/settings.py plus what follows
from spiders.settings import ADDONS

# WarehouseAddon first (lower runs earlier): it makes the job context that HkipoAddon applies.
ADDONS = {**ADDONS, "pipelines.crawl.WarehouseAddon": -10}
# Each pipeline takes its own item type and passes the others on.
ITEM_PIPELINES = {
    "pipelines.crawl.ArticlePipeline": 300,
    "pipelines.crawl.AnnouncementPipeline": 310,
    "pipelines.listings.ListingPipeline": 320,
}
