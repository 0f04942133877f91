def school(request):  # type: ignore[no-untyped-def]
    """The request's school and roles, for the layout's navigation."""
    access = getattr(request, "access", None)
    return {"access": access, "current_school": getattr(access, "school", None)}
