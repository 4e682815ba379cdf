"""Needs' pages (namespace ``needs``): residents under /needs/, staff under /console/needs/.

linli/urls.py includes this module once at the root.
"""

from django.urls import path

from linli.needs import views_console as console
from linli.needs import views_resident as resident

app_name = "needs"
urlpatterns = [
    path("needs/", resident.my_needs, name="mine"),
    path("needs/new/", resident.need_new, name="new"),
    path("needs/mine/<int:pk>/", resident.my_need_detail, name="mine_detail"),
    path("needs/public/", resident.public_timeline, name="public"),
    path("needs/public/<int:pk>/", resident.public_need, name="public_detail"),
    path("console/needs/", console.need_list, name="console_list"),
    path("console/needs/new/", console.need_new, name="console_new"),
    path("console/needs/rates/", console.rates, name="console_rates"),
    path("console/needs/<int:pk>/", console.need_detail, name="console_detail"),
]
