"""Pages as jpay-server's lists take them."""

from rest_framework.pagination import PageNumberPagination


class Pages(PageNumberPagination):
    """`?page=` and `?page_size=` (at most 100), as jpay-server's lists take them."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
