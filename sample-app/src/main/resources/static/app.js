// The sample's page: asks /api/model what answers, streams answers from /api/chat/stream.
const $ = (id) => document.getElementById(id);
let conversationId = null;

async function showModel() {
  try {
    const model = await (await fetch('/api/model')).json();
    $('model-id').textContent = model.id ?? 'none';
    $('model-device').textContent = model.device ?? '–';
    $('model-load').textContent =
      model.loadSeconds != null ? `${model.loadSeconds.toFixed(2)} s` : '–';
    const note = model.error ?? model.note;
    if (note) {
      $('notice').textContent = note;
      $('notice').hidden = false;
      $('notice').classList.toggle('error', !model.available);
    }
  } catch (e) {
    $('model-id').textContent = 'unreachable';
  }
}

function addMessage(role) {
  const element = document.createElement('div');
  element.className = `message ${role}`;
  $('messages').appendChild(element);
  return element;
}

function ask(question) {
  addMessage('user').textContent = question;
  const reply = addMessage('assistant');
  reply.dataset.state = 'streaming';
  reply.innerHTML =
    '<details open><summary>reasoning</summary><div class="reasoning"></div></details>' +
    '<div class="answer"></div><div class="stats"></div>';
  const reasoning = reply.querySelector('.reasoning');
  const answer = reply.querySelector('.answer');
  const stats = reply.querySelector('.stats');
  const params = new URLSearchParams({ message: question, think: $('think').checked });
  if (conversationId) params.set('conversationId', conversationId);
  const source = new EventSource(`/api/chat/stream?${params}`);
  $('send').disabled = true;
  const finish = (state) => {
    source.close();
    reply.dataset.state = state;
    $('send').disabled = false;
  };
  source.addEventListener('start', (e) => {
    conversationId = JSON.parse(e.data).conversationId;
  });
  source.addEventListener('reasoning', (e) => {
    reasoning.textContent += JSON.parse(e.data).t;
  });
  source.addEventListener('answer', (e) => {
    answer.textContent += JSON.parse(e.data).t;
    reply.querySelector('details').open = false;
  });
  source.addEventListener('done', (e) => {
    const done = JSON.parse(e.data);
    const perSecond = done.completionTokens && done.seconds
      ? ` · ${(done.completionTokens / done.seconds).toFixed(1)} tokens/s` : '';
    stats.textContent =
      `${done.model} on ${done.device} · ${done.completionTokens} tokens in ` +
      `${done.seconds.toFixed(2)} s${perSecond} · ${done.finishReason}`;
    finish('done');
  });
  source.addEventListener('error', (e) => {
    const message = e.data ? JSON.parse(e.data).message : 'connection lost';
    const error = document.createElement('div');
    error.className = 'error';
    error.textContent = message;
    reply.appendChild(error);
    finish('error');
  });
}

$('ask').addEventListener('submit', (event) => {
  event.preventDefault();
  const question = $('question').value.trim();
  if (!question) return;
  $('question').value = '';
  ask(question);
});

$('question').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey) {
    event.preventDefault();
    $('ask').requestSubmit();
  }
});

showModel();
