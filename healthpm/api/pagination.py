from rest_framework.pagination import PageNumberPagination


class Pages(PageNumberPagination):
    """25 a page like the web list; a client may ask for up to 100 (?page_size=)."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
