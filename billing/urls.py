"""The billing API's routes: /api/rates, /api/grid-intensity, /api/costs."""

from django.urls import path

from billing import api

urlpatterns = [
    path("api/rates", api.RatesApi.as_view(), name="rates"),
    path("api/grid-intensity", api.GridIntensityApi.as_view(), name="grid-intensity"),
    path("api/costs", api.CostsApi.as_view(), name="costs"),
    path("api/costs/compare", api.CostsCompareApi.as_view(), name="costs-compare"),
]
