import tablib, pytest
from exports.resources import DeviceResource
from devices.models import Device
from tests.admin.test_import_export import DEVICES_BAD
pytestmark = pytest.mark.django_db
def test_dbg():
    ds = tablib.Dataset().load(DEVICES_BAD, format="csv")
    r = DeviceResource().import_data(ds, dry_run=True, raise_errors=False)
    print("errors", r.has_errors(), r.has_validation_errors())
    for n, errs in r.row_errors():
        for e in errs: print(n, e.error)
    for row in r.invalid_rows: print("invalid", row.number, row.error_dict)
