"""/api/tokens/: a signed-in user's own API tokens (the secret is shown once, on creation)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import tokens
from .forms import TokenForm
from .models import ApiToken


@login_required
def tokens_page(request):
    form = TokenForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        token, secret = tokens.token_create(owner=request.user, name=form.cleaned_data["name"],
                                            scopes=form.cleaned_data["scopes"],
                                            expires_at=form.cleaned_data["expires_on"], by=request.user)
        messages.success(request, f"Token “{token.name}” created. Copy its secret now: it is not shown again.")
        form = TokenForm()
    return render(request, "api/tokens.html", {
        "form": form, "secret": secret,
        "tokens": ApiToken.objects.filter(owner=request.user).order_by("-created_at"),
    })


@login_required
@require_POST
def token_revoke_view(request, token_id):
    # Someone else's token answers 404: its existence is not theirs to learn.
    token = get_object_or_404(ApiToken, pk=token_id, owner=request.user)
    tokens.token_revoke(token=token, by=request.user)
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("api_tokens")
