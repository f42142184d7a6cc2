-- The next assessment number, from a sequence (atomic across connections).
SELECT nextval('svc.assessment_numbers')
