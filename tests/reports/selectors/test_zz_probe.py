import pytest
from reports.selectors import statistics as s
from reports.models import Complaint
@pytest.mark.django_db
def test_probe(office):
    base = Complaint.objects.all()
    q = base.annotate(row=s._row_expression("handling")).filter(handling__isnull=False).values("row").annotate(n=s.Count("pk")).order_by()
    print(q.query)
